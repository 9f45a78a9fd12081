package cli

import (
	"context"
	"os"
	"testing"
)

func TestZZProf(t *testing.T) {
	if err := Run(context.Background(), []string{"bench", "checkout", "--duration", "5s"}, os.Getenv, os.Stdout, os.Stderr); err != nil {
		t.Fatal(err)
	}
}

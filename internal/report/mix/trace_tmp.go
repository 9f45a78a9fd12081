package mix

import (
	"fmt"
	"os"
	"time"
)

var t0 = time.Now()

func tracef(format string, args ...any) {
	if os.Getenv("MIXTRACE") != "" {
		fmt.Fprintf(os.Stderr, "%8.1fms "+format+"\n", append([]any{float64(time.Since(t0).Microseconds()) / 1000}, args...)...)
	}
}

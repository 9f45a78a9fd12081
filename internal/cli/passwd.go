package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/signin"
)

// runPasswd sets a person's local sign-in password, read as one line from
// stdin so it never shows in the process list or shell history.
func runPasswd(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet("passwd", env)
	var d dbFlags
	d.register(fs, env)
	user := fs.String("user", "", "the person's id, user name, email or employee ID")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *user == "" {
		return &exitError{code: 2, err: errors.New("usage: seatkeeper passwd --db DB --user USER < password")}
	}
	line, err := bufio.NewReader(env.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return fmt.Errorf("passwd: read the password from stdin: %w", err)
	}
	hash, err := signin.HashPassword(strings.TrimRight(line, "\r\n"))
	if err != nil {
		return err
	}
	st, err := openExisting(ctx, d.db, newLogger(env.Stderr, "warn"))
	if err != nil {
		return err
	}
	defer st.Close()
	actor := licensing.Actor{Name: "cli:" + orUnknown(env.Getenv("USER")), Source: "cli"}
	if err := st.SetPassword(ctx, actor, *user, hash); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "password set for %s\n", *user)
	return nil
}

// Command localoffer crawls SEND Local Offers, suggests evidence against the
// assessment rubric, serves the review UI and writes the regional report.
// This package only parses flags and wires the other packages together.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:]))
}

// run executes the command line and returns the exit code: 0 ok, 1 failure,
// 2 bad usage.
func run(ctx context.Context, args []string) int {
	root := newRoot()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(os.Stderr, "localoffer:", err)
	var ue *usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		fmt.Fprintln(os.Stderr, "Run 'localoffer --help' for usage.")
		return 2
	}
	return 1
}

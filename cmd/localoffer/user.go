package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/review"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func init() {
	register(func(g *globals) *cobra.Command {
		cmd := &cobra.Command{
			Use:   "user",
			Short: "Manage the review UI's accounts",
			Long: `user adds, lists and changes the accounts that sign in to the review UI.

Roles:
  viewer    reads everything, changes nothing (e.g. the regional coordinator)
  reviewer  accepts and rejects evidence, adds evidence, fixes scores
  adviser   a reviewer who also writes the adviser's judgement on Partials
  admin     a reviewer who also runs blind double review

Passwords are read from the terminal without echo, or from standard input
with --password-stdin (first line), and stored as bcrypt hashes.`,
		}
		cmd.AddCommand(userAddCmd(g), userListCmd(g), userPasswdCmd(g), userRoleCmd(g), userDisableCmd(g, true), userDisableCmd(g, false))
		return cmd
	})
}

// readPasswordHash reads a new password and returns its hash for the store.
func readPasswordHash(g *globals, in io.Reader, fromStdin bool) ([]byte, error) {
	pw, err := readPassword(g, in, fromStdin)
	if err != nil {
		return nil, err
	}
	return review.HashPassword(pw)
}

// readPassword reads a new password: from the first line of stdin with
// fromStdin, else twice from the terminal without echo.
func readPassword(g *globals, in io.Reader, fromStdin bool) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read password: %w", err)
		}
		pw := strings.TrimRight(line, "\r\n")
		if err := review.CheckPassword(pw); err != nil {
			return "", &usageError{err}
		}
		return pw, nil
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return "", usagef("standard input is not a terminal: pass --password-stdin and pipe the password in")
	}
	fmt.Fprint(g.stderr, "Password: ")
	a, err := term.ReadPassword(fd)
	fmt.Fprintln(g.stderr)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if err := review.CheckPassword(string(a)); err != nil {
		return "", &usageError{err}
	}
	fmt.Fprint(g.stderr, "Again: ")
	b, err := term.ReadPassword(fd)
	fmt.Fprintln(g.stderr)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if string(a) != string(b) {
		return "", usagef("the passwords do not match")
	}
	return string(a), nil
}

// operator names who ran a user command in the audit log.
func operator() string {
	if u := os.Getenv("USER"); u != "" {
		return "cli:" + u
	}
	return "cli"
}

func userAddCmd(g *globals) *cobra.Command {
	var role string
	var stdin bool
	cmd := &cobra.Command{
		Use:   "add NAME",
		Short: "Add an account",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := evidence.ParseRole(role)
			if err != nil {
				return &usageError{err}
			}
			db, err := g.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			if _, err := db.User(args[0]); err == nil {
				return usagef("user %s exists; use 'localoffer user passwd' to change the password", args[0])
			}
			hash, err := readPasswordHash(g, cmd.InOrStdin(), stdin)
			if err != nil {
				return err
			}
			if err := db.CreateUser(operator(), evidence.User{Name: args[0], Role: r, PasswordHash: hash}); err != nil {
				if errors.Is(err, evidence.ErrInvalid) {
					return &usageError{err}
				}
				return err
			}
			fmt.Fprintf(g.stdout, "Added %s (%s).\n", args[0], r)
			return nil
		},
	}
	cmd.Flags().StringVar(&role, "role", "reviewer", "viewer, reviewer, adviser or admin")
	cmd.Flags().BoolVar(&stdin, "password-stdin", false, "read the password from the first line of standard input")
	return cmd
}

func userListCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List accounts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := g.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			users, err := db.Users()
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tROLE\tCREATED\tSTATUS")
			for _, u := range users {
				st := "active"
				if u.Disabled {
					st = "disabled"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Name, u.Role, u.Created.Format("2006-01-02"), st)
			}
			return tw.Flush()
		},
	}
}

func userPasswdCmd(g *globals) *cobra.Command {
	var stdin bool
	cmd := &cobra.Command{
		Use:   "passwd NAME",
		Short: "Change an account's password (ends its sessions)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := g.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			if _, err := db.User(args[0]); err != nil {
				return usagef("no user %s (see 'localoffer user list')", args[0])
			}
			hash, err := readPasswordHash(g, cmd.InOrStdin(), stdin)
			if err != nil {
				return err
			}
			if _, err := db.UpdateUser(operator(), args[0], "change password", func(u *evidence.User) error {
				u.PasswordHash = hash
				return nil
			}); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "Changed the password of %s; its sessions have ended.\n", args[0])
			return nil
		},
	}
	cmd.Flags().BoolVar(&stdin, "password-stdin", false, "read the password from the first line of standard input")
	return cmd
}

func userRoleCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "role NAME ROLE",
		Short: "Change an account's role",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := evidence.ParseRole(args[1])
			if err != nil {
				return &usageError{err}
			}
			db, err := g.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			if _, err := db.UpdateUser(operator(), args[0], "change role", func(u *evidence.User) error {
				u.Role = r
				return nil
			}); err != nil {
				if errors.Is(err, evidence.ErrNotFound) {
					return usagef("no user %s (see 'localoffer user list')", args[0])
				}
				return err
			}
			fmt.Fprintf(g.stdout, "%s is now %s.\n", args[0], r)
			return nil
		},
	}
}

func userDisableCmd(g *globals, disable bool) *cobra.Command {
	use, short, action := "enable NAME", "Let a disabled account sign in again", "enable user"
	if disable {
		use, short, action = "disable NAME", "Stop an account signing in (ends its sessions; its history stays)", "disable user"
	}
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := g.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			if _, err := db.UpdateUser(operator(), args[0], action, func(u *evidence.User) error {
				u.Disabled = disable
				return nil
			}); err != nil {
				if errors.Is(err, evidence.ErrNotFound) {
					return usagef("no user %s (see 'localoffer user list')", args[0])
				}
				return err
			}
			state := "enabled"
			if disable {
				state = "disabled"
			}
			fmt.Fprintf(g.stdout, "%s is %s.\n", args[0], state)
			return nil
		},
	}
}

package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set with -ldflags "-X main.version=..." in release builds.
var version = "dev"

func init() {
	register(func(g *globals) *cobra.Command {
		return &cobra.Command{
			Use:   "version",
			Short: "Print the version and commit",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				commit, when, dirty := "unknown", "", ""
				if bi, ok := debug.ReadBuildInfo(); ok {
					if version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
						version = bi.Main.Version
					}
					for _, s := range bi.Settings {
						switch s.Key {
						case "vcs.revision":
							commit = s.Value
						case "vcs.time":
							when = " " + s.Value
						case "vcs.modified":
							if s.Value == "true" {
								dirty = " (modified)"
							}
						}
					}
				}
				fmt.Fprintf(g.stdout, "localoffer %s commit %s%s%s\n", version, commit, when, dirty)
				return nil
			},
		}
	})
}

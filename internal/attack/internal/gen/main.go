// Command gen renders package attack's ATT&CK table (table_gen.go) from the
// data files. Run it through go generate in internal/attack:
//
//	go run ./internal/gen -tactics data/tactics.tsv -techniques data/techniques.tsv -o table_gen.go
//
// To move to a new ATT&CK release, update the data files and run it again.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/vigilsec/vigil/internal/attack/internal/attackdata"
)

func main() {
	tactics := flag.String("tactics", "data/tactics.tsv", "tactics data file")
	techniques := flag.String("techniques", "data/techniques.tsv", "techniques data file")
	out := flag.String("o", "table_gen.go", "Go file to write")
	flag.Parse()
	if err := run(*tactics, *techniques, *out); err != nil {
		slog.Error("generate ATT&CK table", "err", err)
		os.Exit(1)
	}
}

func run(tacticsPath, techniquesPath, outPath string) error {
	d, err := attackdata.Load(tacticsPath, techniquesPath)
	if err != nil {
		return err
	}
	src, err := attackdata.Render(d)
	if err != nil {
		return err
	}
	if err := os.WriteFile(outPath, src, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", outPath, err)
	}
	slog.Info("wrote ATT&CK table", "file", outPath, "version", d.Version,
		"tactics", len(d.Tactics), "techniques", len(d.Techniques))
	return nil
}

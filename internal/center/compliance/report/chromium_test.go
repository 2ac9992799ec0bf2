package report

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"
)

var printDir = flag.String("printdir", "", "keep the printed PDFs and screenshots of TestPrint in this folder")

// chromiumFlags start headless Chromium without any network activity of
// its own.
var chromiumFlags = []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
	"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions", "--hide-scrollbars"}

// TestPrint prints the golden reports with headless Chromium, as an
// auditor's browser would: the PDF must be A4, hold a page per policy
// besides the cover, and the screenshot must be drawn.
func TestPrint(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed, so the printed layout is not checked (Debian package chromium)")
	}
	for _, tc := range []struct {
		golden   string
		policies int
	}{
		{"host_en.html", 3},
		{"host_zh.html", 3},
		{"fleet_en.html", 1},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			doc, err := os.ReadFile(filepath.Join("testdata", tc.golden))
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			page := filepath.Join(dir, "report.html")
			if err := os.WriteFile(page, doc, 0o644); err != nil {
				t.Fatal(err)
			}
			pdf, png := filepath.Join(dir, "report.pdf"), filepath.Join(dir, "report.png")
			run := func(args ...string) {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				defer cancel()
				args = append(slices.Concat(chromiumFlags, []string{"--user-data-dir=" + filepath.Join(dir, "profile")}, args), "file://"+page)
				out, err := exec.CommandContext(ctx, chromium, args...).CombinedOutput()
				if err != nil {
					t.Fatalf("chromium %v: %v\n%s", args, err, out)
				}
			}
			run("--no-pdf-header-footer", "--print-to-pdf="+pdf)
			run("--window-size=1100,2400", "--screenshot="+png)

			b, err := os.ReadFile(pdf)
			if err != nil {
				t.Fatalf("no PDF printed: %v", err)
			}
			if !bytes.HasPrefix(b, []byte("%PDF-")) || len(b) < 20<<10 {
				t.Fatalf("the PDF is not one or is trivial: %d bytes starting %q", len(b), b[:min(len(b), 8)])
			}
			pages := len(regexp.MustCompile(`/Type\s*/Page\b`).FindAll(b, -1))
			if pages < 1+tc.policies {
				t.Errorf("%d pages printed, want at least %d (the cover and a page per policy)", pages, 1+tc.policies)
			}
			if !regexp.MustCompile(`/MediaBox\s*\[\s*0 0 59[45](\.\d+)? 84[12](\.\d+)?\s*\]`).Match(b) {
				t.Errorf("the pages are not A4: %q", regexp.MustCompile(`/MediaBox\s*\[[^\]]*\]`).Find(b))
			}
			var fonts []string
			for _, m := range regexp.MustCompile(`/BaseFont\s*/(?:[A-Z]{6}\+)?([^\s/]+)`).FindAllSubmatch(b, -1) {
				if f := string(m[1]); !slices.Contains(fonts, f) {
					fonts = append(fonts, f)
				}
			}
			shot, err := os.ReadFile(png)
			if err != nil {
				t.Fatalf("no screenshot: %v", err)
			}
			if !bytes.HasPrefix(shot, []byte("\x89PNG\r\n\x1a\n")) || len(shot) < 20<<10 {
				t.Errorf("the screenshot is not a PNG or is trivial: %d bytes", len(shot))
			}
			t.Logf("%s: PDF of %d pages, %d bytes, fonts %v; screenshot %d bytes", tc.golden, pages, len(b), fonts, len(shot))
			if *printDir != "" {
				base := filepath.Join(*printDir, tc.golden[:len(tc.golden)-len(".html")])
				for from, to := range map[string]string{pdf: base + ".pdf", png: base + ".png"} {
					data, err := os.ReadFile(from)
					if err == nil {
						err = os.WriteFile(to, data, 0o644)
					}
					if err != nil {
						t.Errorf("keep %s: %v", to, err)
					}
				}
			}
		})
	}
}

package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"sync"
)

//go:embed report.html.tmpl
var pageText string

// pages parses the document's template once per language: its `t`
// function gives the report's words in that language.
var pages = sync.OnceValues(func() (map[string]*template.Template, error) {
	out := map[string]*template.Template{}
	for _, lang := range []string{English, Chinese} {
		t := translator{zh: lang == Chinese}
		tmpl, err := template.New("report").Funcs(template.FuncMap{"t": t.word}).Parse(pageText)
		if err != nil {
			return nil, fmt.Errorf("parse the report template: %w", err)
		}
		out[lang] = tmpl
	}
	return out, nil
})

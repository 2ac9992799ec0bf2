package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// openStore opens a SQLite store in a temporary folder.
func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "vigil.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// startService starts a Service and stops it at the end of the test.
func startService(t *testing.T, cfg ServiceConfig) *Service {
	t.Helper()
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 20 * time.Millisecond
	}
	s, err := NewService(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := s.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
	return s
}

func hookBody(url string, extra string) []byte {
	return []byte(`{"type":"webhook","webhook":{"url":"` + url + `","secret":"whsec-77"}` + extra + `,"delivery":{"max_attempts":1}}`)
}

// TestServiceSharedStore runs two services on one store and key, as two
// centers sharing a database: a change made through one runs on the
// other within its poll interval, without a restart.
func TestServiceSharedStore(t *testing.T) {
	st := openStore(t)
	key := filepath.Join(t.TempDir(), KeyFileName)
	a := startService(t, ServiceConfig{Store: st.NotifyChannels(), KeyFile: key})
	b := startService(t, ServiceConfig{Store: st.NotifyChannels(), KeyFile: key})
	srv := newFlakyServer(t, 0, 0)
	ctx := context.Background()

	res, err := a.Put(ctx, "hook", hookBody(srv.URL, ""), "alice")
	if err != nil || !res.Created || !res.Channel.Running || res.Channel.UpdatedBy != "alice" {
		t.Fatalf("Put = %+v, %v", res, err)
	}
	waitFor(t, "the other center to run it", func() bool {
		v, err := b.Channel(ctx, "hook")
		return err == nil && v.Running
	})
	b.NotifyAlert(testAlert())
	waitFor(t, "the delivery by the other center", func() bool { return srv.requests.Load() == 1 })

	if _, err := a.Delete(ctx, "hook"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the other center to stop it", func() bool {
		_, err := b.Channel(ctx, "hook")
		return errors.Is(err, ErrUnknownChannel)
	})
	b.NotifyAlert(testAlert())
	a.NotifyAlert(testAlert())
	time.Sleep(100 * time.Millisecond)
	if n := srv.requests.Load(); n != 1 {
		t.Errorf("%d requests after the delete", n)
	}
}

// TestServiceProblems shows stored channels that cannot run, without
// stopping the others.
func TestServiceProblems(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	srv := newFlakyServer(t, 0, 0)
	dir := t.TempDir()
	key := filepath.Join(dir, "data", KeyFileName)
	file := Config{Channels: []ChannelConfig{webhookChannelConfig("from-file", srv.URL, fastDelivery(1))}}
	writer := startService(t, ServiceConfig{Store: st.NotifyChannels(), KeyFile: key})
	// A channel without secrets creates no key.
	if _, err := writer.Put(ctx, "siem", []byte(`{"type":"syslog","syslog":{"network":"udp","address":"127.0.0.1:514"}}`), "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(key); !os.IsNotExist(err) {
		t.Fatalf("a key file without secrets to seal: %v", err)
	}
	for _, name := range []string{"hook", "from-file"} {
		if _, err := writer.Put(ctx, name, hookBody(srv.URL, ""), "alice"); err != nil {
			t.Fatal(err)
		}
	}
	if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v, %v", fi, err)
	}
	// A stored configuration this release refuses.
	bad := store.NotifyChannel{Name: "old", Type: "wecom", Config: json.RawMessage(`{"name":"old","type":"wecom","wecom":{},"colour":"red"}`)}
	if _, err := st.NotifyChannels().Put(ctx, bad); err != nil {
		t.Fatal(err)
	}

	// Another center with its own key, and a file channel of a stored
	// channel's name.
	otherKey := filepath.Join(t.TempDir(), KeyFileName)
	if _, err := NewSecretBox(otherKey).Seal("x", nil); err != nil {
		t.Fatal(err)
	}
	other := startService(t, ServiceConfig{File: file, FileName: "notify.yaml", Store: st.NotifyChannels(), KeyFile: otherKey})
	// A center without the key file says so.
	keylessKey := filepath.Join(t.TempDir(), KeyFileName)
	keyless := startService(t, ServiceConfig{Store: st.NotifyChannels(), KeyFile: keylessKey})
	if v, err := keyless.Channel(ctx, "hook"); err != nil || v.Running || !strings.Contains(v.Problem, "the key that sealed the channel secrets is missing") {
		t.Errorf("without the key: %+v, %v", v, err)
	}
	// With the key file copied, the channel runs at the next poll.
	keyData, err := os.ReadFile(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keylessKey, keyData, 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the channel to run with the key copied", func() bool {
		v, err := keyless.Channel(ctx, "hook")
		return err == nil && v.Running && v.Problem == ""
	})
	views, err := other.Channels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]ChannelView{}
	var order []string
	for _, v := range views {
		order = append(order, string(v.Source)+":"+v.Name)
		got[string(v.Source)+":"+v.Name] = v
	}
	if strings.Join(order, " ") != "file:from-file api:from-file api:hook api:old api:siem" {
		t.Fatalf("channels %q", order)
	}
	for name, want := range map[string]string{
		"api:from-file": "the notification file notify.yaml also defines a channel",
		"api:hook":      "sealed with key ",
		"api:old":       `stored configuration: bad JSON: unknown field "colour"`,
	} {
		if v := got[name]; v.Running || !strings.Contains(v.Problem, want) {
			t.Errorf("%s: running %v, problem %q; want %q", name, v.Running, v.Problem, want)
		}
	}
	if v := got["api:siem"]; !v.Running || v.Problem != "" || !got["file:from-file"].Running {
		t.Errorf("the usable channels do not run: %+v", views)
	}
	if v, err := other.Channel(ctx, "from-file"); err != nil || v.Source != SourceFile {
		t.Errorf("a name of both is the file's: %+v, %v", v, err)
	}
	if _, err := other.Test(ctx, "hook"); !errors.Is(err, ErrUnusable) {
		t.Errorf("test of an unusable channel: %v", err)
	}
	// Its secrets cannot be kept: the operator gives them again.
	_, err = other.Put(ctx, "hook", []byte(`{"type":"webhook","webhook":{"url":{"set":true}}}`), "bob")
	if err == nil || !strings.Contains(err.Error(), "the stored secrets cannot be used") {
		t.Errorf("keeping secrets sealed with another key: %v", err)
	}
	if _, err := other.Put(ctx, "hook", hookBody(srv.URL, ""), "bob"); err != nil {
		t.Fatal(err)
	}
	if v, _ := other.Channel(ctx, "hook"); !v.Running || v.Revision != 2 {
		t.Errorf("after setting the secrets again: %+v", v)
	}
	// The file's channel is read-only; its stored twin can be deleted.
	if _, err := other.Put(ctx, "from-file", hookBody(srv.URL, ""), "bob"); !errors.Is(err, ErrReadOnly) {
		t.Errorf("put of a file channel: %v", err)
	}
	if _, err := other.Delete(ctx, "from-file"); err != nil {
		t.Errorf("delete of the stored twin: %v", err)
	}
	if _, err := other.Delete(ctx, "from-file"); !errors.Is(err, ErrReadOnly) {
		t.Errorf("delete of a file channel: %v", err)
	}
	if _, err := other.Delete(ctx, "nope"); !errors.Is(err, ErrUnknownChannel) {
		t.Errorf("delete of an unknown channel: %v", err)
	}
}

func TestServiceTest(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	srv := newFlakyServer(t, 1, 503)
	s := startService(t, ServiceConfig{Store: st.NotifyChannels(), KeyFile: filepath.Join(t.TempDir(), KeyFileName)})
	if _, err := s.Put(ctx, "hook", hookBody(srv.URL, ""), "alice"); err != nil {
		t.Fatal(err)
	}
	res, err := s.Test(ctx, "hook")
	if err != nil || res.OK || res.Permanent || !strings.Contains(res.Error, "HTTP 503") {
		t.Errorf("failing test = %+v, %v", res, err)
	}
	if res, err = s.Test(ctx, "hook"); err != nil || !res.OK || res.Error != "" {
		t.Errorf("test = %+v, %v", res, err)
	}
	// A disabled channel is built for its test.
	if _, err := s.Put(ctx, "hook", []byte(`{"type":"webhook","disabled":true,"webhook":{}}`), "alice"); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Channel(ctx, "hook"); v.Running || !v.Disabled {
		t.Errorf("disabled: %+v", v)
	}
	if res, err = s.Test(ctx, "hook"); err != nil || !res.OK {
		t.Errorf("test of a disabled channel = %+v, %v", res, err)
	}
	if n := srv.requests.Load(); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
	if v, _ := s.Channel(ctx, "hook"); v.Stats.Sent != 0 {
		t.Errorf("tests were counted: %+v", v.Stats)
	}
	if _, err := s.Test(ctx, "nope"); !errors.Is(err, ErrUnknownChannel) {
		t.Errorf("test of an unknown channel: %v", err)
	}
}

func TestServiceConflicts(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	s := startService(t, ServiceConfig{Store: st.NotifyChannels(), KeyFile: filepath.Join(t.TempDir(), KeyFileName)})
	body := []byte(`{"type":"syslog","syslog":{"network":"udp","address":"127.0.0.1:514"}}`)
	for i := range maxChannels {
		if _, err := s.Put(ctx, "c"+strings.Repeat("x", i%3)+string(rune('a'+i%26))+string(rune('a'+i/26)), body, "alice"); err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.Put(ctx, "one-too-many", body, "alice")
	if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "at most 100") {
		t.Errorf("channel 101: %v", err)
	}
	if _, err := s.Put(ctx, "Upper", body, "alice"); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("a bad name: %v", err)
	}
	file := startService(t, ServiceConfig{})
	if _, err := file.Put(ctx, "x", body, "alice"); !errors.Is(err, ErrNoStore) {
		t.Errorf("put without a store: %v", err)
	}
	if _, err := NewService(ctx, ServiceConfig{Store: st.NotifyChannels()}); err == nil {
		t.Error("a store without a key file was accepted")
	}
	if _, err := NewService(ctx, ServiceConfig{File: Config{Channels: []ChannelConfig{{Name: "x"}}}}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("an invalid file: %v", err)
	}
}

// BenchmarkReloadUnchanged measures a poll that finds nothing new, with
// 100 stored channels: what each center pays every poll interval.
func BenchmarkReloadUnchanged(b *testing.B) {
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "vigil.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	s, err := NewService(context.Background(), ServiceConfig{Store: st.NotifyChannels(), KeyFile: filepath.Join(b.TempDir(), KeyFileName)})
	if err != nil {
		b.Fatal(err)
	}
	for i := range maxChannels {
		body := []byte(`{"type":"wecom","wecom":{"url":"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k` + strings.Repeat("x", i) + `"}}`)
		if _, err := s.Put(context.Background(), fmt.Sprintf("wecom-%03d", i), body, "bench"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Reload(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPut measures replacing one stored channel (read, validate,
// seal, store, apply) among 20.
func BenchmarkPut(b *testing.B) {
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "vigil.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	s, err := NewService(context.Background(), ServiceConfig{Store: st.NotifyChannels(), KeyFile: filepath.Join(b.TempDir(), KeyFileName)})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 20 {
		body := []byte(`{"type":"webhook","webhook":{"url":"https://h.example/` + string(rune('a'+i)) + `","secret":"s"}}`)
		if _, err := s.Put(context.Background(), "hook-"+string(rune('a'+i)), body, "bench"); err != nil {
			b.Fatal(err)
		}
	}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i++
		body := []byte(`{"type":"webhook","webhook":{"secret":"s` + string(rune('a'+i%26)) + `"}}`)
		if _, err := s.Put(context.Background(), "hook-c", body, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

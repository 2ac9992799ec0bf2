package notify

import (
	"context"
	"errors"
	"testing"
)

// nopChannel accepts everything at once.
type nopChannel struct{}

func (nopChannel) Send(context.Context, Message) error { return nil }
func (nopChannel) Close() error                        { return nil }

// BenchmarkNotify measures what a caller pays per alert with six
// channels: filtering, ids and enqueueing (workers drain meanwhile).
func BenchmarkNotify(b *testing.B) {
	d := newDispatcher("https://vigil.example.com", nil)
	for _, c := range channelTypes {
		cfg := validChannel(c)
		cfg.Name = string(c)
		cfg.Delivery = Delivery{QueueSize: 100000, RatePerMinute: maxRatePerMinute, Burst: maxBurst}
		d.add(cfg, nopChannel{})
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	a := testAlert()
	b.ReportAllocs()
	for b.Loop() {
		d.NotifyAlert(a)
	}
	cancel()
	<-done
}

func benchmarkSyslog(b *testing.B, format string) {
	s, err := newSyslog(SyslogConfig{Network: NetworkUDP, Address: "127.0.0.1:9", Format: format})
	if err != nil {
		b.Fatal(err)
	}
	m := testMessage()
	b.ReportAllocs()
	for b.Loop() {
		s.format(m)
	}
}

func BenchmarkFormatRFC5424(b *testing.B) { benchmarkSyslog(b, FormatRFC5424) }
func BenchmarkFormatCEF(b *testing.B)     { benchmarkSyslog(b, FormatCEF) }

func BenchmarkRenderDingTalk(b *testing.B) {
	r, _ := newRenderer(Chinese, "Asia/Shanghai")
	d, err := newDingTalk(DingTalkConfig{URL: "https://oapi.dingtalk.com/robot/send?access_token=t"}, r)
	if err != nil {
		b.Fatal(err)
	}
	m := testMessage()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.body(m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderFeishuCard(b *testing.B) {
	r, _ := newRenderer(Chinese, "")
	f, err := newFeishu(FeishuConfig{URL: "https://open.feishu.cn/open-apis/bot/v2/hook/h", Secret: "s"}, r)
	if err != nil {
		b.Fatal(err)
	}
	m := testMessage()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.body(m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkComposeEmail(b *testing.B) {
	r, _ := newRenderer(Chinese, "")
	e, err := newEmail(EmailConfig{Host: "h", From: "vigil@example.com", To: []string{"soc@example.com"}}, r)
	if err != nil {
		b.Fatal(err)
	}
	m := testMessage()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.compose(m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRedactError(b *testing.B) {
	c, _ := secretConfig()
	red := newRedactor(c.secrets()...)
	err := errors.New(`POST https://hooks.example.com/in/REDACTED?token=REDACTED: HTTP 500 Internal Server Error: upstream said no`)
	b.ReportAllocs()
	for b.Loop() {
		_ = red.Error(err)
	}
}

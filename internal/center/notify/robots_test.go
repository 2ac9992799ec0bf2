package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// dingTalkServer checks requests as DingTalk does: the access token,
// and, when secret is set, a timestamp in milliseconds within an hour
// and the URL-encoded base64 HMAC-SHA256 of "timestamp\nsecret" under
// the secret. It answers with errcode and keeps the accepted bodies.
type robotServer struct {
	*httptest.Server
	bodies chan []byte
}

func dingTalkServer(t *testing.T, token, secret string) *robotServer {
	rs := &robotServer{bodies: make(chan []byte, 10)}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reply := func(code int, msg string) {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{"errcode": code, "errmsg": msg})
		}
		q := r.URL.Query()
		if r.Method != http.MethodPost || r.URL.Path != "/robot/send" || q.Get("access_token") != token {
			reply(300001, "token is not exist")
			return
		}
		if secret != "" {
			ts, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
			if err != nil || time.Since(time.UnixMilli(ts)).Abs() > time.Hour {
				reply(310000, "invalid timestamp")
				return
			}
			mac := hmac.New(sha256.New, []byte(secret))
			mac.Write([]byte(q.Get("timestamp") + "\n" + secret))
			want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
			// The sign must arrive URL-encoded: base64's + / = escaped.
			if q.Get("sign") != want || strings.ContainsAny(rawParam(r.URL.RawQuery, "sign"), "+/=") {
				reply(310000, "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]")
				return
			}
		}
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			reply(40035, "bad content type")
			return
		}
		body, _ := io.ReadAll(r.Body)
		rs.bodies <- body
		reply(0, "ok")
	}))
	t.Cleanup(rs.Close)
	return rs
}

// rawParam is the still-encoded value of a query parameter.
func rawParam(rawQuery, name string) string {
	for _, kv := range strings.Split(rawQuery, "&") {
		if k, v, _ := strings.Cut(kv, "="); k == name {
			return v
		}
	}
	return ""
}

func TestDingTalkSignedMarkdown(t *testing.T) {
	const token, secret = "ding-token-0123", "SECabcdef0123456789+/="
	srv := dingTalkServer(t, token, secret)
	ch := mustChannel(t, ChannelConfig{Name: "ding", Type: TypeDingTalk, Language: Chinese, DingTalk: &DingTalkConfig{
		URL: srv.URL + "/robot/send?access_token=" + token, Secret: secret, AtMobiles: []string{"13800000000"},
	}})
	for range 3 { // several signatures in a row, each with its timestamp
		if err := ch.Send(context.Background(), testMessage()); err != nil {
			t.Fatal(err)
		}
	}
	var msg dingTalkMessage
	if err := json.Unmarshal(<-srv.bodies, &msg); err != nil {
		t.Fatal(err)
	}
	if msg.MsgType != "markdown" || msg.Markdown.Title != "[严重] OA 系统 Web 进程异常执行命令 | cmd=whoami" {
		t.Errorf("message = %+v", msg)
	}
	if !strings.Contains(msg.Markdown.Text, "- **主机**：oa-web-01") || !strings.HasSuffix(msg.Markdown.Text, "@13800000000") {
		t.Errorf("text = %s", msg.Markdown.Text)
	}
	if len(msg.At.AtMobiles) != 1 || msg.At.IsAtAll {
		t.Errorf("at = %+v", msg.At)
	}
}

func TestDingTalkWrongSecretIsPermanent(t *testing.T) {
	srv := dingTalkServer(t, "tok", "SECright")
	ch := mustChannel(t, ChannelConfig{Name: "ding", Type: TypeDingTalk, DingTalk: &DingTalkConfig{
		URL: srv.URL + "/robot/send?access_token=tok", Secret: "SECwrong",
	}})
	err := ch.Send(context.Background(), testMessage())
	if err == nil || !IsPermanent(err) || !strings.Contains(err.Error(), "dingtalk: error 310000: sign not match") {
		t.Errorf("error = %v", err)
	}
}

// weComServer checks the key and answers as WeCom does.
func weComServer(t *testing.T, key string) *robotServer {
	rs := &robotServer{bodies: make(chan []byte, 10)}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reply := func(code int, msg string) {
			json.NewEncoder(w).Encode(map[string]any{"errcode": code, "errmsg": msg})
		}
		if r.URL.Path != "/cgi-bin/webhook/send" || r.URL.Query().Get("key") != key {
			reply(93000, "invalid webhook url, hint: [1741920005_1_x]")
			return
		}
		body, _ := io.ReadAll(r.Body)
		var msg weComMessage
		if json.Unmarshal(body, &msg) != nil || msg.MsgType != "markdown" || len(msg.Markdown.Content) > 4096 {
			reply(40058, "markdown.content exceed max length 4096")
			return
		}
		rs.bodies <- body
		reply(0, "ok")
	}))
	t.Cleanup(rs.Close)
	return rs
}

func TestWeComMarkdown(t *testing.T) {
	srv := weComServer(t, "wecom-key-1")
	ch := mustChannel(t, ChannelConfig{Name: "wecom", Type: TypeWeCom, Language: Chinese, WeCom: &WeComConfig{
		URL: srv.URL + "/cgi-bin/webhook/send?key=wecom-key-1",
	}})
	m := testMessage()
	m.Description = strings.Repeat("超长描述", 2000)
	if err := ch.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	var msg weComMessage
	if err := json.Unmarshal(<-srv.bodies, &msg); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(msg.Markdown.Content, `### <font color="warning">[严重]</font> OA 系统`) {
		t.Errorf("content = %s", msg.Markdown.Content)
	}
	bad := mustChannel(t, ChannelConfig{Name: "wecom", Type: TypeWeCom, WeCom: &WeComConfig{
		URL: srv.URL + "/cgi-bin/webhook/send?key=other",
	}})
	if err := bad.Send(context.Background(), m); err == nil || !IsPermanent(err) || !strings.Contains(err.Error(), "wecom: error 93000") {
		t.Errorf("wrong key: error = %v", err)
	}
}

// feishuServer verifies signatures as Feishu does: the timestamp (in
// seconds, within an hour) and the base64 HMAC-SHA256 of an empty
// message under the key "timestamp\nsecret". legacy answers with the
// older StatusCode form.
func feishuServer(t *testing.T, secret string, legacy bool) *robotServer {
	rs := &robotServer{bodies: make(chan []byte, 10)}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reply := func(code int, msg string) {
			if legacy && code == 0 {
				json.NewEncoder(w).Encode(map[string]any{"Extra": nil, "StatusCode": 0, "StatusMessage": "success"})
				return
			}
			json.NewEncoder(w).Encode(map[string]any{"code": code, "data": map[string]any{}, "msg": msg})
		}
		if !strings.HasPrefix(r.URL.Path, "/open-apis/bot/v2/hook/") {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var req struct {
			Timestamp string          `json:"timestamp"`
			Sign      string          `json:"sign"`
			MsgType   string          `json:"msg_type"`
			Card      json.RawMessage `json:"card"`
			Content   json.RawMessage `json:"content"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			reply(9499, "Bad Request")
			return
		}
		if secret != "" {
			ts, err := strconv.ParseInt(req.Timestamp, 10, 64)
			mac := hmac.New(sha256.New, []byte(req.Timestamp+"\n"+secret))
			want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
			if err != nil || time.Since(time.Unix(ts, 0)).Abs() > time.Hour || req.Sign != want {
				reply(19021, "sign match fail or timestamp is not within one hour from current time")
				return
			}
		}
		rs.bodies <- body
		reply(0, "success")
	}))
	t.Cleanup(rs.Close)
	return rs
}

func TestFeishuSignedCard(t *testing.T) {
	srv := feishuServer(t, "feishu-secret", false)
	ch := mustChannel(t, ChannelConfig{Name: "fs", Type: TypeFeishu, Language: Chinese, Feishu: &FeishuConfig{
		URL: srv.URL + "/open-apis/bot/v2/hook/0a1b2c3d", Secret: "feishu-secret",
	}})
	if err := ch.Send(context.Background(), testMessage()); err != nil {
		t.Fatal(err)
	}
	var req struct {
		MsgType string     `json:"msg_type"`
		Card    feishuCard `json:"card"`
	}
	if err := json.Unmarshal(<-srv.bodies, &req); err != nil {
		t.Fatal(err)
	}
	if req.MsgType != "interactive" || req.Card.Header.Template != "red" || !strings.HasPrefix(req.Card.Header.Title.Content, "[严重]") {
		t.Errorf("card = %+v", req)
	}
	var hasButton bool
	for _, e := range req.Card.Elements {
		for _, a := range e.Actions {
			hasButton = hasButton || a.URL == testMessage().Link
		}
	}
	if !hasButton {
		t.Error("card has no button to the console")
	}

	wrong := mustChannel(t, ChannelConfig{Name: "fs", Type: TypeFeishu, Feishu: &FeishuConfig{
		URL: srv.URL + "/open-apis/bot/v2/hook/0a1b2c3d", Secret: "not-the-secret",
	}})
	if err := wrong.Send(context.Background(), testMessage()); err == nil || !IsPermanent(err) || !strings.Contains(err.Error(), "feishu: error 19021") {
		t.Errorf("wrong secret: error = %v", err)
	}
}

func TestFeishuPostAndLegacyAnswer(t *testing.T) {
	srv := feishuServer(t, "", true)
	ch := mustChannel(t, ChannelConfig{Name: "fs", Type: TypeFeishu, Feishu: &FeishuConfig{
		URL: srv.URL + "/open-apis/bot/v2/hook/x", Format: FeishuPost,
	}})
	if err := ch.Send(context.Background(), testMessage()); err != nil {
		t.Fatal(err)
	}
	var req struct {
		MsgType string `json:"msg_type"`
		Content struct {
			Post map[string]struct {
				Title   string             `json:"title"`
				Content [][]feishuPostItem `json:"content"`
			} `json:"post"`
		} `json:"content"`
	}
	if err := json.Unmarshal(<-srv.bodies, &req); err != nil {
		t.Fatal(err)
	}
	post, ok := req.Content.Post["en_us"]
	if req.MsgType != "post" || !ok || post.Title != "[Critical] OA 系统 Web 进程异常执行命令 | cmd=whoami" || len(post.Content) < 5 {
		t.Errorf("post = %+v", req)
	}
}

// TestRobotAnswers checks how each robot's answers are classified.
func TestRobotAnswers(t *testing.T) {
	tests := []struct {
		name      string
		typ       ChannelType
		status    int
		answer    string
		ok        bool
		permanent bool
		want      string
	}{
		{"dingtalk ok", TypeDingTalk, 200, `{"errcode":0,"errmsg":"ok"}`, true, false, ""},
		{"dingtalk too fast", TypeDingTalk, 200, `{"errcode":130101,"errmsg":"send too fast"}`, false, false, "dingtalk: error 130101: send too fast"},
		{"dingtalk keyword", TypeDingTalk, 200, `{"errcode":310000,"errmsg":"keywords not in content"}`, false, true, "error 310000"},
		{"dingtalk not json", TypeDingTalk, 200, `<html>proxy</html>`, false, false, "dingtalk: unexpected answer: <html>proxy</html>"},
		{"dingtalk 502", TypeDingTalk, 502, ``, false, false, "HTTP 502"},
		{"wecom ok", TypeWeCom, 200, `{"errcode":0,"errmsg":"ok"}`, true, false, ""},
		{"wecom freq", TypeWeCom, 200, `{"errcode":45009,"errmsg":"api freq out of limit"}`, false, false, "wecom: error 45009"},
		{"wecom bad key", TypeWeCom, 200, `{"errcode":93000,"errmsg":"invalid webhook url"}`, false, true, "wecom: error 93000"},
		{"feishu ok", TypeFeishu, 200, `{"code":0,"data":{},"msg":"success"}`, true, false, ""},
		{"feishu legacy ok", TypeFeishu, 200, `{"Extra":null,"StatusCode":0,"StatusMessage":"success"}`, true, false, ""},
		{"feishu rate", TypeFeishu, 200, `{"code":11232,"data":{},"msg":"frequency limited"}`, false, false, "feishu: error 11232"},
		{"feishu keyword", TypeFeishu, 200, `{"code":19024,"data":{},"msg":"Key Words Not Found"}`, false, true, "feishu: error 19024: Key Words Not Found"},
		{"feishu legacy error", TypeFeishu, 200, `{"StatusCode":9499,"StatusMessage":"Bad Request"}`, false, true, "feishu: error 9499"},
		{"feishu 400 with code", TypeFeishu, 400, `{"code":9499,"msg":"Bad Request"}`, false, true, `HTTP 400 Bad Request: {"code":9499`},
		{"feishu empty", TypeFeishu, 200, `{}`, false, false, "feishu: unexpected answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.answer)
			}))
			defer srv.Close()
			c := ChannelConfig{Name: "r", Type: tt.typ}
			switch tt.typ {
			case TypeDingTalk:
				c.DingTalk = &DingTalkConfig{URL: srv.URL + "/robot/send?access_token=ding-token-42"}
			case TypeWeCom:
				c.WeCom = &WeComConfig{URL: srv.URL + "/cgi-bin/webhook/send?key=wecom-key-42"}
			case TypeFeishu:
				c.Feishu = &FeishuConfig{URL: srv.URL + "/open-apis/bot/v2/hook/feishu-hook-42"}
			}
			err := mustChannel(t, c).Send(context.Background(), testMessage())
			if tt.ok {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			if IsPermanent(err) != tt.permanent || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q (permanent %v), want %q (permanent %v)", err, IsPermanent(err), tt.want, tt.permanent)
			}
		})
	}
}

func TestSignFunctions(t *testing.T) {
	// Computed independently: HMAC-SHA256 keyed and fed as the vendors
	// describe, then base64.
	mac := hmac.New(sha256.New, []byte("SECx"))
	mac.Write([]byte("1700000000000\nSECx"))
	if got, want := DingTalkSign("SECx", 1700000000000), base64.StdEncoding.EncodeToString(mac.Sum(nil)); got != want {
		t.Errorf("DingTalkSign = %s, want %s", got, want)
	}
	mac = hmac.New(sha256.New, []byte("1700000000\nfs"))
	if got, want := FeishuSign("fs", 1700000000), base64.StdEncoding.EncodeToString(mac.Sum(nil)); got != want {
		t.Errorf("FeishuSign = %s, want %s", got, want)
	}
}

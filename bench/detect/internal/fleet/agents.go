package fleet

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/bench/detect/internal/meter"
	"github.com/vigilsec/vigil/bench/detect/internal/workload"
	"github.com/vigilsec/vigil/internal/agent/sender"
	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/bus/client"
	"github.com/vigilsec/vigil/internal/center/eventbatch/batchtest"
)

// RoleEnv, set to RoleFleet, makes the benchmark's binary run as the
// fleet (RunIfFleet).
const (
	RoleEnv   = "VIGIL_BENCH_DETECT_ROLE"
	RoleFleet = "fleet"
)

// goLine is what the center side writes to start the publication.
const goLine = "go"

// connectWait bounds the wait for every agent's connection.
const connectWait = 30 * time.Second

// RunIfFleet runs the fleet and exits when the process was started in
// the fleet role; otherwise it returns at once.
func RunIfFleet() {
	if os.Getenv(RoleEnv) != RoleFleet {
		return
	}
	if err := Main(context.Background(), os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// message is one prepared batch.
type message struct {
	data   []byte
	events int
	alerts []string
}

// agent is one connected simulated agent with its prepared batches, by
// publication slot (one slot for a backlog, one per interval for a
// steady publication).
type agent struct {
	id    string
	nc    *nats.Conn
	js    jetstream.JetStream
	slots [][]message
}

// Main reads a Job from in, makes and publishes its batches and writes
// the Reports to out.
func Main(ctx context.Context, in io.Reader, out io.Writer) error {
	rd := bufio.NewReader(in)
	line, err := rd.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("read job: %w", err)
	}
	var job Job
	if err := json.Unmarshal(line, &job); err != nil {
		return fmt.Errorf("read job: %w", err)
	}
	if err := job.Check(); err != nil {
		return err
	}
	w := &reporter{enc: json.NewEncoder(out)}

	agents, err := connect(ctx, job.Agents)
	defer func() {
		for _, a := range agents {
			a.nc.Close()
		}
	}()
	if err != nil {
		return err
	}
	made := time.Now()
	if err := prepare(job, agents); err != nil {
		return err
	}
	makeSeconds := time.Since(made).Seconds()
	if err := w.write(Report{Ready: true}); err != nil {
		return err
	}
	line, err = rd.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("wait for %q: %w", goLine, err)
	}
	if string(line) != goLine+"\n" {
		return fmt.Errorf("wait for %q: got %q", goLine, line)
	}
	cpu := meter.CPUSeconds()
	sum := publish(ctx, job, agents, w)
	sum.MakeSeconds = makeSeconds
	sum.CPUSeconds = meter.CPUSeconds() - cpu
	return w.write(Report{Done: &sum})
}

// reporter writes reports from several goroutines.
type reporter struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (r *reporter) write(rep Report) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.enc.Encode(rep); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// connect connects every agent with the agent's own client.
func connect(ctx context.Context, ids []bus.Identity) ([]*agent, error) {
	var agents []*agent
	for _, id := range ids {
		nc, err := client.Connect(ctx, id, client.Options{})
		if err != nil {
			return agents, err
		}
		js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(1024))
		if err != nil {
			nc.Close()
			return agents, fmt.Errorf("jetstream: %w", err)
		}
		agents = append(agents, &agent{id: id.AgentID, nc: nc, js: js})
	}
	deadline := time.Now().Add(connectWait)
	for _, a := range agents {
		for !a.nc.IsConnected() {
			if time.Now().After(deadline) {
				return agents, fmt.Errorf("agent %s not connected after %s: %v", a.id, connectWait, a.nc.LastError())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return agents, nil
}

// prepare makes every agent's batches, agents in parallel.
func prepare(job Job, agents []*agent) error {
	errs := make([]error, len(agents))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, a := range agents {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = a.prepare(job, i, len(agents))
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// slotCounts are the events of agent i in each slot of job.
func slotCounts(job Job, i, agents int) []int {
	if job.Mode == Backlog {
		return []int{workload.Share(job.Events, agents, i)}
	}
	slots := int(job.Duration / job.Interval)
	perSlot := job.Rate / float64(agents) * job.Interval.Seconds()
	counts := make([]int, slots)
	for k := range counts {
		counts[k] = int(math.Floor(float64(k+1)*perSlot)) - int(math.Floor(float64(k)*perSlot))
	}
	return counts
}

func (a *agent) prepare(job Job, index, agents int) error {
	gen := workload.NewAgent(job.Seed, index, job.AlertEvery)
	counts := slotCounts(job, index, agents)
	a.slots = make([][]message, len(counts))
	for k, n := range counts {
		b := workload.NewBatcher(index, func(full workload.Batch) error {
			a.slots[k] = append(a.slots[k], message{
				data:   batchtest.Message(a.id, full.Lines, full.Events, true, 0),
				events: full.Events, alerts: full.Alerts,
			})
			return nil
		})
		for range n {
			ev, alert := gen.Next(time.Now())
			if err := b.Add(ev, alert); err != nil {
				return err
			}
		}
		if err := b.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// publish sends every agent's batches, agents in parallel, and waits for
// the stream's acknowledgements.
func publish(ctx context.Context, job Job, agents []*agent, w *reporter) Summary {
	start := time.Now()
	sums := make([]Summary, len(agents))
	var wg sync.WaitGroup
	for i, a := range agents {
		// A steady publication spreads the agents over the interval.
		offset := time.Duration(0)
		if job.Mode == Steady {
			offset = job.Interval * time.Duration(i) / time.Duration(len(agents))
		}
		wg.Go(func() { sums[i] = a.publish(ctx, job, start.Add(offset), w) })
	}
	wg.Wait()
	var total Summary
	for _, s := range sums {
		total.Events += s.Events
		total.Batches += s.Batches
		total.Bytes += s.Bytes
		total.Alerts += s.Alerts
		total.Failed += s.Failed
		total.LateBatches += s.LateBatches
		total.MaxLag = max(total.MaxLag, s.MaxLag)
	}
	total.Seconds = time.Since(start).Seconds()
	return total
}

// publish sends the agent's slots: a backlog at once, a steady
// publication one slot every interval from start. At most
// sender.DefaultMaxInFlight batches of a backlog wait for their
// acknowledgement, as in the agent's sender.
func (a *agent) publish(ctx context.Context, job Job, start time.Time, w *reporter) Summary {
	var s Summary
	var pending []jetstream.PubAckFuture
	settle := func(keep int) {
		for len(pending) > keep {
			select {
			case <-pending[0].Ok():
			case <-pending[0].Err():
				s.Failed++
			case <-ctx.Done():
				s.Failed += len(pending)
				pending = nil
				return
			}
			pending = pending[1:]
		}
	}
	window := sender.DefaultMaxInFlight
	if job.Mode == Steady {
		// A slow acknowledgement must not hold up the schedule.
		window = 256
	}
	seq := 0
	for k, slot := range a.slots {
		if job.Mode == Steady {
			due := start.Add(time.Duration(k) * job.Interval)
			if wait := time.Until(due); wait > 0 {
				select {
				case <-ctx.Done():
					return s
				case <-time.After(wait):
				}
			}
			lag := max(time.Since(due), 0)
			s.MaxLag = max(s.MaxLag, lag)
			if lag > job.Interval {
				s.LateBatches += len(slot)
			}
		}
		for _, m := range slot {
			settle(window - 1)
			seq++
			msg := nats.NewMsg(bus.EventsSubject(a.id))
			msg.Data = m.data
			msg.Header.Set(jetstream.MsgIDHeader, a.id+"-"+job.Run+"-"+strconv.Itoa(seq))
			msg.Header.Set(jetstream.ExpectedStreamHeader, bus.EventsStream)
			at := time.Now().UnixNano()
			f, err := a.js.PublishMsgAsync(msg)
			if err != nil {
				s.Failed++
				continue
			}
			pending = append(pending, f)
			for _, id := range m.alerts {
				_ = w.write(Report{Alert: &Published{EventID: id, At: at}})
			}
			s.Batches++
			s.Events += m.events
			s.Alerts += len(m.alerts)
			s.Bytes += int64(len(m.data))
		}
	}
	settle(0)
	return s
}

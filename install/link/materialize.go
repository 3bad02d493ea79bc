package link

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// Method is how files get from the store into node_modules.
type Method int

const (
	// Copy writes an independent copy of every file. The zero value, because
	// it works everywhere.
	Copy Method = iota
	// Hardlink links store files into node_modules (same inode).
	Hardlink
	// Reflink clones files (FICLONE): independent inodes that share extents
	// until written.
	Reflink
)

func (m Method) String() string {
	switch m {
	case Copy:
		return "copy"
	case Hardlink:
		return "hardlink"
	case Reflink:
		return "reflink"
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// Job is one package to materialize.
type Job struct {
	Src string // store entry directory (the package root)
	Dst string // destination, e.g. <project>/node_modules/a/node_modules/b; parents may not exist
	// Copy forces files not to share an inode with the store (packages with
	// install scripts, which may modify their files in place). With Reflink
	// the files are cloned, otherwise copied.
	Copy bool
}

// Options tune Materialize.
type Options struct {
	Method      Method
	Concurrency int // workers; <= 0 means DefaultConcurrency()
	// List, when set, lists a job's Src from a manifest so that its
	// directories need not be read: it reads what it needs into buf
	// (reusing its capacity) and calls fn for every directory ('d'),
	// regular file ('f') and symlink ('l') under src, by slash-separated
	// path relative to src, valid during the call; it returns the buffer
	// for the next call. The content store's List is one. When it fails
	// (no manifest, a damaged one), the job's directories are read
	// instead. Each listed path is linked without looking at the store:
	// a listed file missing from Src is an error.
	List func(src string, buf []byte, fn func(kind byte, rel []byte) error) ([]byte, error)
}

// Result counts what Materialize created.
type Result struct {
	Files int   // regular files (and symlinks) created
	Dirs  int   // directories created, job roots included
	Bytes int64 // bytes copied or cloned; hardlinked files count 0 (they are not stat'ed)
}

func (r *Result) add(o Result) {
	r.Files += o.Files
	r.Dirs += o.Dirs
	r.Bytes += o.Bytes
}

// DefaultConcurrency is the worker count used when Options.Concurrency is not
// set. See bench_test.go for the measurements behind it.
func DefaultConcurrency() int {
	return 2 * runtime.GOMAXPROCS(0)
}

// Materialize creates every job's Dst as a copy of its Src, using o.Method.
// It returns the first error (naming the path) and stops the other workers;
// a canceled ctx stops it too, with an error that wraps ctx.Err(). What was
// created before an error stays on disk.
func Materialize(ctx context.Context, jobs []Job, o Options) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("failed to materialize node_modules: %w", err)
	}
	if len(jobs) == 0 {
		return Result{}, nil
	}
	n := o.Concurrency
	if n <= 0 {
		n = DefaultConcurrency()
	}
	if n > len(jobs) && n > 1 {
		// More workers than jobs still helps through subdirectory sharing,
		// but never more than the machine can use.
		n = max(len(jobs), min(n, runtime.GOMAXPROCS(0)))
	}
	m := &materializer{ctx: ctx, method: o.Method, list: o.List}
	m.q.cond.L = &m.q.mu
	// The stack pops from the end: push in reverse so jobs start in order.
	m.q.tasks = make([]task, 0, len(jobs)+n)
	for i := len(jobs) - 1; i >= 0; i-- {
		j := jobs[i]
		m.q.tasks = append(m.q.tasks, task{src: j.Src, dst: j.Dst, copy: j.Copy, root: true})
	}
	stop := context.AfterFunc(ctx, func() { m.fail(ctx.Err()) })
	defer stop()

	// With raw system calls (see rawCalls) workers beyond GOMAXPROCS would
	// only queue for a P; they help when calls wait for the disk. So by
	// default only GOMAXPROCS workers start, and the rest when the run
	// switches to blocking system calls.
	eager := n
	if o.Concurrency <= 0 && rawSyscalls {
		eager = min(n, runtime.GOMAXPROCS(0))
	}
	results := make([]Result, n)
	var wg sync.WaitGroup
	start := func(i int) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newWorker(m)
			w.run()
			results[i] = w.res
		}()
	}
	// Called by a running worker, so the WaitGroup is not at zero.
	m.spare = func() {
		for i := eager; i < n; i++ {
			start(i)
		}
	}
	for i := range eager {
		start(i)
	}
	wg.Wait()
	var res Result
	for _, r := range results {
		res.add(r)
	}
	if err := m.firstErr(); err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return res, fmt.Errorf("failed to materialize node_modules: %w", err)
		}
		return res, err
	}
	return res, nil
}

// task is a directory to fill: src's entries go into dst. For a job root, dst
// is created first; for a shared subdirectory it exists already.
type task struct {
	src, dst string
	copy     bool
	root     bool
	// A share of a listed package: its entries lo..hi, its directories
	// already created.
	pkg    *listedPkg
	lo, hi int
}

type materializer struct {
	ctx     context.Context
	method  Method
	list    func(src string, buf []byte, fn func(kind byte, rel []byte) error) ([]byte, error)
	stopped atomic.Bool
	// blocking is set once system calls are seen to wait for the disk: the
	// Linux workers then stop making raw system calls (see rawCalls), and
	// spare starts the workers held back until then.
	blocking atomic.Bool
	spare    func()
	errMu    sync.Mutex
	err      error
	q        queue
}

func (m *materializer) fail(err error) {
	m.errMu.Lock()
	if m.err == nil {
		m.err = err
	}
	m.errMu.Unlock()
	m.stopped.Store(true)
	m.q.close()
}

// testHookBlocking, when set by a test, runs when a run switches to
// blocking system calls.
var testHookBlocking func()

// setBlocking switches the run to blocking system calls, once.
func (m *materializer) setBlocking() {
	if m.blocking.CompareAndSwap(false, true) {
		if testHookBlocking != nil {
			testHookBlocking()
		}
		m.spare()
	}
}

func (m *materializer) firstErr() error {
	m.errMu.Lock()
	defer m.errMu.Unlock()
	return m.err
}

// queue is a LIFO stack of tasks shared by the workers. idle counts workers
// waiting for a task: busy workers read it (without the lock) to decide
// whether to hand out subdirectories.
type queue struct {
	mu     sync.Mutex
	cond   sync.Cond
	tasks  []task
	active int // workers running a task
	closed bool
	idle   atomic.Int32
}

// pop blocks until a task is available; ok is false when all work is done or
// the queue was closed. A successful pop must be followed by done().
func (q *queue) pop() (t task, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.tasks) == 0 && !q.closed {
		if q.active == 0 {
			q.closed = true
			q.cond.Broadcast()
			break
		}
		q.idle.Add(1)
		q.cond.Wait()
		q.idle.Add(-1)
	}
	if q.closed {
		return task{}, false
	}
	t = q.tasks[len(q.tasks)-1]
	q.tasks = q.tasks[:len(q.tasks)-1]
	q.active++
	return t, true
}

func (q *queue) done() {
	q.mu.Lock()
	q.active--
	if q.active == 0 && len(q.tasks) == 0 {
		q.closed = true
		q.cond.Broadcast()
	}
	q.mu.Unlock()
}

func (q *queue) push(t task) {
	q.mu.Lock()
	q.tasks = append(q.tasks, t)
	q.cond.Signal()
	q.mu.Unlock()
}

func (q *queue) hungry() bool { return q.idle.Load() > 0 }

func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.cond.Broadcast()
	q.mu.Unlock()
}

// testHookTask, when set by a test, runs before each task.
var testHookTask func(task)

func (w *worker) run() {
	for {
		t, ok := w.m.q.pop()
		if !ok {
			return
		}
		if testHookTask != nil {
			testHookTask(t)
		}
		if err := w.m.ctx.Err(); err != nil {
			w.m.fail(err)
		}
		if !w.m.stopped.Load() {
			if err := w.do(t); err != nil {
				w.m.fail(err)
			}
		}
		if t.pkg != nil {
			t.pkg.release()
		}
		w.m.q.done()
	}
}

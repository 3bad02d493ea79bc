package registry

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// resolverTTL is how long resolved addresses are reused. Go's resolver does
// not report record TTLs; registries behind CDNs rotate slower than this.
const resolverTTL = 60 * time.Second

type hostAddrs struct {
	addrs   []netip.Addr
	expires time.Time
	next    atomic.Uint32 // round-robin cursor
}

// spreadDialer dials host:port on each resolved address in turn, so a pool
// of connections spreads over all of a host's A/AAAA records.
type spreadDialer struct {
	dialer   net.Dialer
	dialFn   func(ctx context.Context, network, address string) (net.Conn, error)
	lookup   func(ctx context.Context, host string) ([]netip.Addr, error)
	now      func() time.Time
	mu       sync.Mutex
	cache    map[string]*hostAddrs
	inflight singleflight.Group
	wrap     func(net.Conn) net.Conn
}

func newSpreadDialer(connectTimeout time.Duration) *spreadDialer {
	d := &spreadDialer{
		dialer: net.Dialer{Timeout: connectTimeout, KeepAlive: 30 * time.Second},
		lookup: func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		},
		now:   time.Now,
		cache: map[string]*hostAddrs{},
	}
	d.dialFn = d.dialer.DialContext
	return d
}

func (d *spreadDialer) resolve(ctx context.Context, host string) (*hostAddrs, error) {
	d.mu.Lock()
	h := d.cache[host]
	d.mu.Unlock()
	if h != nil && d.now().Before(h.expires) {
		return h, nil
	}
	v, err, _ := d.inflight.Do(host, func() (any, error) {
		// Do not let one caller's cancellation fail every waiter.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.dialer.Timeout)
		defer cancel()
		addrs, err := d.lookup(lctx, host)
		if err != nil {
			return nil, err
		}
		if len(addrs) == 0 {
			return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
		}
		nh := &hostAddrs{addrs: addrs, expires: d.now().Add(resolverTTL)}
		if h != nil {
			nh.next.Store(h.next.Load())
		}
		d.mu.Lock()
		d.cache[host] = nh
		d.mu.Unlock()
		return nh, nil
	})
	if err != nil {
		if h != nil {
			return h, nil // stale addresses beat a failed lookup
		}
		return nil, err
	}
	return v.(*hostAddrs), nil
}

func (d *spreadDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	conn, err := d.dial(ctx, network, address)
	if err == nil && d.wrap != nil {
		conn = d.wrap(conn)
	}
	return conn, err
}

func (d *spreadDialer) dial(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return d.dialFn(ctx, network, address)
	}
	h, err := d.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	n := len(h.addrs)
	start := int(h.next.Add(1)-1) % n
	var firstErr error
	tried := 0
	for i := 0; i < n; i++ {
		a := h.addrs[(start+i)%n]
		if (network == "tcp4" && !a.Unmap().Is4()) || (network == "tcp6" && a.Unmap().Is4()) {
			continue
		}
		tried++
		conn, err := d.dialFn(ctx, network, net.JoinHostPort(a.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	if tried == 0 {
		return nil, &net.DNSError{Err: "no " + network + " addresses", Name: host, IsNotFound: true}
	}
	return nil, firstErr
}

// idleConn applies npm's fetch-timeout as an idle timeout: every Read must
// make progress within timeout.
type idleConn struct {
	net.Conn
	timeout time.Duration
}

func (c *idleConn) Read(p []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

package registry

import (
	"compress/flate"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
)

// IsRetryable reports whether a fetch that failed with err may succeed when
// tried again: connection refused/reset/aborted, timeouts, temporary DNS
// failures, bodies cut short (unexpected EOF, corrupt gzip stream), retryable
// HTTP statuses (408, 420, 429, 5xx) and errors wrapped by MarkRetryable.
// Context cancellation, unknown hosts and certificate errors are final.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	// net/http's own timeouts (fetch-timeout: "timeout awaiting response
	// headers") also match context.DeadlineExceeded; Fetch has already
	// checked the caller's context, so these are the server's fault.
	var timeout net.Error
	if errors.As(err, &timeout) && timeout.Timeout() && !wrapsContextDeadline(err) {
		return true
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var re retryableError
	if errors.As(err, &re) {
		return true
	}
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Retryable()
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return !dnsErr.IsNotFound
	}
	var (
		unknownAuth x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		certInvalid x509.CertificateInvalidError
		verifyErr   *tls.CertificateVerificationError
		recordErr   tls.RecordHeaderError
	)
	if errors.As(err, &unknownAuth) || errors.As(err, &hostErr) || errors.As(err, &certInvalid) ||
		errors.As(err, &verifyErr) || errors.As(err, &recordErr) {
		return false
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ETIMEDOUT) || errors.Is(err, syscall.EADDRINUSE) ||
		errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.ENETDOWN) ||
		errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) {
		return true
	}
	var corrupt flate.CorruptInputError
	if errors.As(err, &corrupt) {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return true
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// net/http reports some broken connections only as text.
		msg := ue.Err.Error()
		return strings.Contains(msg, "connection reset") || strings.Contains(msg, "server closed") ||
			strings.Contains(msg, "transport connection broken") || strings.Contains(msg, "EOF")
	}
	return false
}

// wrapsContextDeadline reports whether context.DeadlineExceeded itself (not
// an error that merely matches it through an Is method) is in err's chain.
func wrapsContextDeadline(err error) bool {
	for err != nil {
		if err == context.DeadlineExceeded {
			return true
		}
		switch x := err.(type) {
		case interface{ Unwrap() error }:
			err = x.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range x.Unwrap() {
				if wrapsContextDeadline(e) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}

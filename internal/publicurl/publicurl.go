// Package publicurl says where this server is reached from outside: the
// configured base URL (serve --base-url) when there is one, else the
// request's own scheme and host. X-Forwarded-Proto and X-Forwarded-Host are
// believed only when the operator says a proxy sets them (--trust-proxy):
// otherwise any client could make share links, SCIM locations and redirects
// point at a host of its choosing.
package publicurl

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Resolver answers the public base URL of a request.
type Resolver struct {
	base       *url.URL
	trustProxy bool
}

// New checks base ("" for none: the request's own host) and returns a
// resolver. base must be an absolute http or https URL without query or
// fragment; a trailing slash is dropped.
func New(base string, trustProxy bool) (*Resolver, error) {
	r := &Resolver{trustProxy: trustProxy}
	if base == "" {
		return r, nil
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("base URL %q must be an absolute http(s) URL such as https://seats.example.com, without query, fragment or user", base)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	r.base = u
	return r, nil
}

// URL is the configured base URL without a trailing slash ("" if none).
func (o *Resolver) URL() string {
	if !o.Configured() {
		return ""
	}
	return o.base.Scheme + "://" + o.base.Host + o.base.Path
}

// Configured reports whether a base URL was given.
func (o *Resolver) Configured() bool { return o != nil && o.base != nil }

// Base is the public URL the request reached, without a trailing slash:
// scheme://host[/path].
func (o *Resolver) Base(r *http.Request) string {
	if o.Configured() {
		return o.URL()
	}
	return o.scheme(r) + "://" + o.host(r)
}

// Secure reports whether the browser reached us over HTTPS.
func (o *Resolver) Secure(r *http.Request) bool {
	if o != nil && o.base != nil {
		return o.base.Scheme == "https"
	}
	return o.scheme(r) == "https"
}

// Host is the host the browser believes it talks to, for origin checks.
func (o *Resolver) Host(r *http.Request) string {
	if o != nil && o.base != nil {
		return o.base.Host
	}
	return o.host(r)
}

func (o *Resolver) trusted() bool { return o != nil && o.trustProxy }

func (o *Resolver) scheme(r *http.Request) string {
	if o.trusted() {
		if p := first(r.Header.Get("X-Forwarded-Proto")); strings.EqualFold(p, "https") || strings.EqualFold(p, "http") {
			return strings.ToLower(p)
		}
	}
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

func (o *Resolver) host(r *http.Request) string {
	if o.trusted() {
		if h := first(r.Header.Get("X-Forwarded-Host")); h != "" {
			return h
		}
	}
	return r.Host
}

// first is the first value of a comma-separated forwarding header (the
// client side of the chain of proxies).
func first(v string) string {
	v, _, _ = strings.Cut(v, ",")
	return strings.TrimSpace(v)
}

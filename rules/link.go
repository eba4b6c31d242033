package rules

// HasLink reports whether text contains a URL (behaviour 10): http(s)://,
// www., or a host name with a known top-level domain, not part of an
// email. The send gate uses it on our own outgoing texts.
func HasLink(text string) bool { return hasLink([]rune(text)) }

module github.com/hunterbot/hunterbot/rules/acbench

go 1.26.0

replace github.com/hunterbot/hunterbot => ../..

require (
	github.com/anknown/ahocorasick v0.0.0-20190904063843-d75dbd5169c0
	github.com/cloudflare/ahocorasick v0.0.0-20240916140611-054963ec9396
	github.com/hunterbot/hunterbot v0.0.0
	github.com/petar-dambovaliev/aho-corasick v0.0.0-20250424160509-463d218d4745
)

require (
	github.com/anknown/darts v0.0.0-20151216065714-83ff685239e6 // indirect
	golang.org/x/text v0.43.0 // indirect
)

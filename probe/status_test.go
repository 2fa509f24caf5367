package probe_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/e2etls/e2etls/probe"
)

func TestParseStatusRanges(t *testing.T) {
	tests := []struct {
		name    string
		in      []string
		want    []probe.StatusRange
		wantErr string
	}{
		{name: "nil", in: nil, want: nil},
		{name: "empty", in: []string{}, want: nil},
		{name: "range", in: []string{"200-399"}, want: []probe.StatusRange{{Min: 200, Max: 399}}},
		{name: "codes and ranges", in: []string{"200", "404", "500-503"}, want: []probe.StatusRange{{200, 200}, {404, 404}, {500, 503}}},
		{name: "bounds", in: []string{"100-599"}, want: []probe.StatusRange{{100, 599}}},
		{name: "empty entry", in: []string{""}, wantErr: `probe: status code range "" (entry 0): empty`},
		{name: "word", in: []string{"200", "2xx"}, wantErr: `probe: status code range "2xx" (entry 1): want a status code such as "404" or a range such as "200-399"`},
		{name: "spaces", in: []string{"200 - 399"}, wantErr: `probe: status code range "200 - 399" (entry 0): want a status code such as "404" or a range such as "200-399"`},
		{name: "open range", in: []string{"200-"}, wantErr: `probe: status code range "200-" (entry 0): want a status code such as "404" or a range such as "200-399"`},
		{name: "two dashes", in: []string{"200-300-399"}, wantErr: `probe: status code range "200-300-399" (entry 0): want a status code such as "404" or a range such as "200-399"`},
		{name: "sign", in: []string{"+200"}, wantErr: `probe: status code range "+200" (entry 0): want a status code such as "404" or a range such as "200-399"`},
		{name: "too low", in: []string{"99"}, wantErr: `probe: status code range "99" (entry 0): 99 is out of range 100-599`},
		{name: "too high", in: []string{"200-600"}, wantErr: `probe: status code range "200-600" (entry 0): 600 is out of range 100-599`},
		{name: "reversed", in: []string{"399-200"}, wantErr: `probe: status code range "399-200" (entry 0): 399 is greater than 200`},
		{
			name: "every bad entry",
			in:   []string{"600", "200-399", "x"},
			wantErr: `probe: status code range "600" (entry 0): 600 is out of range 100-599` + "\n" +
				`probe: status code range "x" (entry 2): want a status code such as "404" or a range such as "200-399"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := probe.ParseStatusRanges(tt.in)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseStatusRanges(%q) = %v, nil; want error %q", tt.in, got, tt.wantErr)
				}
				equal(t, "error", err.Error(), tt.wantErr)
				if got != nil {
					t.Errorf("ranges = %v, want nil with an error", got)
				}
				return
			}
			must(t, err)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseStatusRanges(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestStatusRangeString(t *testing.T) {
	equal(t, "String()", probe.StatusRange{Min: 200, Max: 399}.String(), "200-399")
	equal(t, "String()", probe.StatusRange{Min: 404, Max: 404}.String(), "404")
}

// FuzzParseStatusRanges checks that parsing never panics, that what it
// accepts is valid and survives String and parsing again, and that every
// error names its entry.
func FuzzParseStatusRanges(f *testing.F) {
	for _, seed := range []string{"200-399", "200,404", "100-599,", "399-200", "2x0", "-", "0-0", "200--1", "600", "1000", "200-200"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		entries := strings.Split(s, ",")
		ranges, err := probe.ParseStatusRanges(entries)
		if err != nil {
			if ranges != nil {
				t.Fatalf("ranges %v with error %v", ranges, err)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "probe: status code range ") || !strings.Contains(line, "(entry ") {
					t.Fatalf("error line %q does not name its entry", line)
				}
			}
			return
		}
		if len(ranges) != len(entries) {
			t.Fatalf("%d ranges from %d entries", len(ranges), len(entries))
		}
		for i, r := range ranges {
			if r.Min < 100 || r.Max > 599 || r.Min > r.Max {
				t.Fatalf("entry %q gave invalid range %+v", entries[i], r)
			}
			again, err := probe.ParseStatusRanges([]string{r.String()})
			if err != nil || len(again) != 1 || again[0] != r {
				t.Fatalf("entry %q: %+v prints as %q, which parses as %v, %v", entries[i], r, r.String(), again, err)
			}
		}
		if err := (probe.Spec{StatusCodes: ranges}).Validate(); err != nil {
			t.Fatalf("parsed ranges do not validate: %v", err)
		}
	})
}

package azurejson

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/e2etls/e2etls/gateway"
)

// maxFileSize bounds a certificate or key file. Azure's own limit is 16 KB;
// anything beyond a megabyte is the wrong file.
const maxFileSize = 1 << 20

// Format is the shape of a document, which [Read] tells from its content.
type Format int

// The shapes of document Read accepts.
const (
	// Flat is this package's own format: Azure's property names without
	// ARM's "properties" wrappers and resource ids.
	Flat Format = iota + 1
	// Resource is the gateway resource as Azure returns it: az network
	// application-gateway show, the REST API, Resource Graph.
	Resource
	// Template is an ARM template holding the gateway.
	Template
)

// String returns "flat", "resource" or "template".
func (f Format) String() string {
	switch f {
	case Flat:
		return "flat"
	case Resource:
		return "resource"
	case Template:
		return "template"
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// Options give what a document cannot hold itself. The zero value suits a
// document that holds everything: a flat file with its certificate files
// beside it, or an Azure document whose certificates are inline.
type Options struct {
	// BaseDir is the directory that file names in a flat document are
	// relative to. Empty means the working directory ([ReadFile] and
	// [Load] use the document's directory).
	BaseDir string

	// Parameters is an ARM template's parameters file (the
	// deploymentParameters JSON that az deployment takes with
	// --parameters @file). Nil means none: every parameter takes its
	// defaultValue. ParametersName names it in messages.
	Parameters     []byte
	ParametersName string

	// CertificateFiles map the names of sslCertificates and
	// trustedRootCertificates to local files, for certificates an Azure
	// document cannot carry: those kept in Key Vault (keyVaultSecretId)
	// and listener certificates whose private key Azure never returns
	// (publicCertData only). A listener certificate's file holds the chain
	// (leaf first) and the key in PEM, or is the PFX Key Vault keeps
	// (base64 or raw, no password); a trusted root's holds one certificate
	// (PEM, DER or base64 DER). Names are matched without regard to case;
	// file names are used as given. Nil means none.
	CertificateFiles map[string]string

	// PublicAddress is the IP address that listeners on a frontend IP
	// configuration with a publicIPAddress bind (Azure's public address
	// lives in another resource). Empty means all addresses.
	PublicAddress string
	// PrivateAddress, when set, is bound instead of every frontend IP
	// configuration's privateIPAddress, for running a gateway's document
	// on a machine that does not have that address (127.0.0.1 in tests).
	// Empty means the privateIPAddress.
	PrivateAddress string
}

// Note is a property that was accepted and ignored, because it has no
// meaning outside Azure or in this configuration.
type Note struct {
	// Property is the property's name; Path and Line, Column are where it
	// is (File as in Error).
	Property     string
	Path         string
	Line, Column int
	File         string
	// Reason says why it is ignored.
	Reason string
}

// String returns "line <l>, column <c>: <path>: ignored: <reason>".
func (n Note) String() string {
	var b strings.Builder
	if n.File != "" {
		b.WriteString(n.File + ": ")
	}
	b.WriteString("line " + strconv.Itoa(n.Line) + ", column " + strconv.Itoa(n.Column) + ": " + n.Path + ": ignored: " + n.Reason)
	return b.String()
}

// Document is what [Read] made of a document.
type Document struct {
	// Config is the gateway configuration.
	Config gateway.Config
	// Format is the shape the document had.
	Format Format
	// Name is the gateway's name in an Azure document; empty for a flat
	// one.
	Name string
	// Ignored lists every property accepted and ignored, in document
	// order.
	Ignored []Note
	// Files are the local files the configuration was read from, each
	// once, in the order read: the document (ReadFile), the certificate,
	// key and CRL files a flat document names, and the files of
	// Options.CertificateFiles that were used. A program that reloads the
	// configuration when its files change watches these (examples/appgw
	// does). A parameters file, given as bytes, is not among them.
	Files []string
}

// Load reads the flat, resource or template document at path (see
// [ReadFile]) and returns its configuration.
func Load(path string) (gateway.Config, error) {
	doc, err := ReadFile(path, Options{})
	if err != nil {
		return gateway.Config{}, err
	}
	return doc.Config, nil
}

// Parse converts the document data, like [Load]. Relative file names in a
// flat document are relative to baseDir; an empty baseDir means the
// current directory.
func Parse(data []byte, baseDir string) (gateway.Config, error) {
	doc, err := Read(data, Options{BaseDir: baseDir})
	if err != nil {
		return gateway.Config{}, err
	}
	return doc.Config, nil
}

// ReadFile reads the document at path with [Read]. Unless opts.BaseDir is
// set, file names in a flat document are relative to the document's
// directory.
func ReadFile(path string, opts Options) (*Document, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("azurejson: %w", err)
	}
	if opts.BaseDir == "" {
		opts.BaseDir = filepath.Dir(path)
	}
	doc, err := Read(data, opts)
	if err != nil {
		return nil, err
	}
	doc.Files = slices.Compact(append([]string{path}, doc.Files...))
	return doc, nil
}

// Read converts a document into a gateway configuration. The document's
// shape is told from its content: an ARM template (a "resources" array),
// an Azure resource (a "properties" object, an "id", or the collections
// only Azure's form has) or this package's flat format.
//
// Every problem of the document is reported at once, as an errors.Join of
// [*Error] values in document order. References between elements are
// checked here, in every shape; checks of the configuration as a whole are
// left to [gateway.New].
func Read(data []byte, opts Options) (*Document, error) {
	var files []string
	doc, err := read(data, opts, func(name string) ([]byte, error) {
		if !filepath.IsAbs(name) {
			name = filepath.Join(opts.BaseDir, name)
		}
		files = append(files, name)
		return readFile(name)
	})
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool)
	doc.Files = slices.DeleteFunc(append(files, doc.Files...), func(f string) bool {
		dup := seen[f]
		seen[f] = true
		return dup
	})
	return doc, nil
}

// read is Read with the flat format's files read by readFile, which
// receives each file name as written.
func read(data []byte, opts Options, readFile func(name string) ([]byte, error)) (*Document, error) {
	root, err := parse(data)
	if err != nil {
		return nil, err
	}
	d := &decoder{src: &source{data: data}, readFile: readFile, baseDir: opts.BaseDir}
	doc := &Document{Format: detect(root)}
	switch doc.Format {
	case Flat:
		doc.Config = d.config(root)
	case Resource:
		d.fold = true
		a := newARMDecoder(d, opts)
		if v, path := a.unwrapList(root); v != nil {
			doc.Config = a.gateway(v, path, &gatewayEnvelope)
		}
		doc.Name = a.gwName
	case Template:
		d.fold = true
		a := newARMDecoder(d, opts)
		doc.Config = a.template(root)
		doc.Name = a.gwName
	}
	if opts.Parameters != nil && doc.Format != Template {
		d.fail(root.off, "", fmt.Errorf("a parameters file was given, but the document is not an ARM template (it is a %s document)", doc.Format))
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	slices.SortStableFunc(d.notes, func(a, b Note) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	doc.Ignored = d.notes
	doc.Files = d.files
	return doc, nil
}

// newARMDecoder returns a decoder of Azure documents.
func newARMDecoder(d *decoder, opts Options) *armDecoder {
	return &armDecoder{
		decoder: d,
		opts:    opts,
		names:   make(map[string]map[string]string),
		broken:  make(map[string]bool),
		fronts:  make(map[string]front),
		ports:   make(map[string]int),
		certs:   make(map[string]bool),
	}
}

// azureOnly are top-level members that only an Azure resource (in
// whichever spelling) has, never a flat document.
var azureOnly = []string{
	"properties", "id", "type", "etag", "location", "resourceGroup", "sku",
	"backendHttpSettingsCollection", "frontendIPConfigurations", "frontendIpConfigurations",
	"frontendPorts", "gatewayIPConfigurations", "gatewayIpConfigurations", "provisioningState",
	"operationalState", "value", "data",
}

// detect tells the shape of a document from its top-level members.
func detect(root *value) Format {
	switch root.kind {
	case kindArray:
		return Resource // az network application-gateway list
	case kindObject:
	default:
		return Flat // reported as not an object
	}
	for _, m := range root.members {
		switch {
		case strings.EqualFold(m.key, "resources"), strings.EqualFold(m.key, "$schema"):
			return Template
		}
	}
	for _, m := range root.members {
		for _, k := range azureOnly {
			if strings.EqualFold(m.key, k) {
				return Resource
			}
		}
	}
	return Flat
}

// unwrapList returns the gateway of a document that is a list of
// resources (az ... list, a REST list's "value", a Resource Graph query's
// "data"), or the document itself; nil when there is no single gateway.
func (a *armDecoder) unwrapList(root *value) (*value, string) {
	var elems []*value
	var path string
	switch root.kind {
	case kindArray:
		elems = root.elems
	case kindObject:
		for _, m := range root.members {
			if (strings.EqualFold(m.key, "value") || strings.EqualFold(m.key, "data")) && m.val.kind == kindArray {
				elems, path = m.val.elems, m.key
			}
		}
		if path == "" {
			return root, ""
		}
		for _, m := range root.members {
			if m.key != path {
				a.note(m.off, m.key, m.key, "a member of the list around the gateway")
			}
		}
	}
	var found []int
	for i, e := range elems {
		if e.kind != kindObject {
			continue
		}
		for _, m := range e.members {
			if strings.EqualFold(m.key, "type") && m.val.kind == kindString && strings.EqualFold(m.val.text, "Microsoft.Network/applicationGateways") {
				found = append(found, i)
			}
		}
	}
	if len(found) == 0 && len(elems) == 1 {
		found = []int{0}
	}
	switch len(found) {
	case 0:
		a.fail(root.off, path, errors.New("want an application gateway (an object), or a list holding one; found none"))
		return nil, ""
	case 1:
	default:
		a.fail(root.off, path, fmt.Errorf("want an application gateway (an object), or a list holding one; found %d", len(found)))
		return nil, ""
	}
	return elems[found[0]], join(path, "["+strconv.Itoa(found[0])+"]")
}

// readFile reads the file at name, of at most maxFileSize bytes.
func readFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, maxFileSize)
	}
	return data, nil
}

// file reads the file named by member key. A problem is reported with the
// file name as written, and ok is false.
func (o *object) file(key string) (data []byte, ok bool) {
	v := o.get(key)
	switch {
	case v == nil:
		o.failf(key, "missing")
		return nil, false
	case v.kind != kindString:
		o.failf(key, "want a file name, got %s", describe(v))
		return nil, false
	case v.text == "":
		o.failf(key, "empty file name")
		return nil, false
	}
	data, err := o.d.readFile(v.text)
	if err != nil {
		o.fileFail(key, err)
		return nil, false
	}
	return data, true
}

// fileFail records err as a problem with the certificate that member key
// (certFile, keyFile or data) gives, naming the file when there is one.
func (o *object) fileFail(key string, err error) {
	v := o.get(key)
	seg := key
	if key != "data" {
		seg += " " + quote(v.text)
	}
	o.d.fail(v.off, join(o.path, seg), err)
}

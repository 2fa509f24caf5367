package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"

	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/gateway/azurejson"
)

// passwordEnv names the environment variable that holds the password of
// the listener certificates' PFX files in an exported document: a secret
// stays off the command line.
const passwordEnv = "APPGW_PFX_PASSWORD"

// exportFlags are the -export-* flags: where to write the loaded
// configuration as an Azure document, and what the document needs that the
// configuration does not hold.
type exportFlags struct {
	resource, template string
	opts               azurejson.WriteOptions
	drop               bool
}

func (e *exportFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&e.resource, "export-arm", "", "write the configuration as the Azure gateway resource to deploy (a REST PUT body) to `FILE`, and exit")
	fs.StringVar(&e.template, "export-template", "", "write the configuration as an ARM template to `FILE`, and exit")
	fs.StringVar(&e.opts.Name, "export-name", "", "the gateway's name in Azure (default: the document's, else appgw)")
	fs.StringVar(&e.opts.SubscriptionID, "export-subscription", "", "the Azure subscription id, for the resource ids (default: a placeholder)")
	fs.StringVar(&e.opts.ResourceGroup, "export-resource-group", "", "the Azure resource group, for the resource ids (default: rg)")
	fs.StringVar(&e.opts.Location, "export-location", "", "the Azure region (default: westeurope; a template's: the resource group's)")
	fs.IntVar(&e.opts.Capacity, "export-capacity", 0, "the Standard_v2 instance count, 1-125 (default 2)")
	fs.StringVar(&e.opts.SubnetID, "export-subnet-id", "", "resource `ID` of the subnet the gateway is deployed into (required for -export-arm)")
	fs.StringVar(&e.opts.PublicIPAddressID, "export-public-ip-id", "", "resource `ID` of the public IP address of the public frontend (required for -export-arm when a listener binds all addresses)")
	fs.StringVar(&e.opts.PrivateIPAddress, "export-private-ip", "", "the private frontend's address to write (required with -private-address, which replaced the document's)")
	fs.BoolVar(&e.drop, "export-drop", false, "leave out what Azure cannot carry, listing each on stderr, instead of refusing it")
}

// run validates the loaded document's configuration and writes it as
// asked; it returns the exit code.
func (e *exportFlags) run(doc *azurejson.Document, path, publicAddr, privateAddr string, stdout, stderr io.Writer) int {
	if privateAddr != "" && e.opts.PrivateIPAddress == "" {
		fmt.Fprintf(stderr, "appgw: -private-address replaced the document's private frontend address with %s: give the address to write with -export-private-ip\n", privateAddr)
		return 2
	}
	if err := validate(doc.Config); err != nil {
		fmt.Fprintf(stderr, "appgw: %s is invalid:\n%v\n", path, err)
		return 2
	}
	opts := e.opts
	if opts.Name == "" {
		opts.Name = doc.Name
	}
	opts.PublicAddress = publicAddr
	opts.CertificatePassword = os.Getenv(passwordEnv)
	if opts.CertificatePassword == "" && len(doc.Config.SSLCertificates) > 0 {
		fmt.Fprintf(stderr, "appgw: the listener certificates are written as PFX files with a password: set it in the environment variable %s\n", passwordEnv)
		return 2
	}
	if e.drop {
		opts.OnDrop = func(d azurejson.Dropped) {
			fmt.Fprintf(stderr, "appgw: left out of the Azure document: %s\n", d)
		}
	}
	for _, out := range []struct {
		file, form string
		write      func(gateway.Config, azurejson.WriteOptions) ([]byte, error)
	}{
		{e.resource, "resource document", azurejson.WriteResource},
		{e.template, "ARM template", azurejson.WriteTemplate},
	} {
		if out.file == "" {
			continue
		}
		data, err := out.write(doc.Config, opts)
		if err != nil {
			fmt.Fprintf(stderr, "appgw: %s cannot be written as an Azure %s:\n%v\n", path, out.form, err)
			if !e.drop {
				fmt.Fprintln(stderr, "appgw: -export-drop leaves out what Azure cannot carry, listing each")
			}
			return 2
		}
		// The document holds the PFX password (a resource document) and
		// the encrypted keys: readable by its owner only.
		if err := os.WriteFile(out.file, data, 0o600); err != nil {
			fmt.Fprintf(stderr, "appgw: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "appgw: wrote the %s %s\n", out.form, out.file)
	}
	return 0
}

// errOffline refuses every lookup and dial of validate's gateway.
var errOffline = errors.New("appgw: not dialing while exporting")

type offlineResolver struct{}

func (offlineResolver) LookupHost(context.Context, string) ([]string, error) { return nil, errOffline }

// validate checks cfg as gateway.New does, touching no network and logging
// nothing: the gateway it builds is closed at once.
func validate(cfg gateway.Config) error {
	cfg.Logger = slog.New(slog.DiscardHandler)
	cfg.Resolver = offlineResolver{}
	cfg.DialContext = func(context.Context, string, string) (net.Conn, error) { return nil, errOffline }
	g, err := gateway.New(cfg)
	if err != nil {
		return err
	}
	return g.Close()
}

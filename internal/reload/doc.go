// Package reload keeps a configuration built from certificate sources
// (package certsource) up to date: a Resolver reads the sources while the
// configuration is built and records what it read as Watched values, and a
// Loop waits for a new version of any of them, has the configuration
// rebuilt with it, and counts what became of each new version.
//
// A new version that its source refuses, or that the rebuilt configuration
// refuses, leaves the version in force for that source only: the Loop pins
// the last accepted versions of the other sources, so that one bad file
// does not hold back the good new files of others.
//
// It knows nothing of what the sources are for: the gateway maps its
// configuration's fields to sources and rebuilds the configuration.
package reload

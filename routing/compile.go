package routing

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// Azure's limits that this package enforces.
const (
	maxHostNames = 5
	maxPriority  = 20000
)

// Compile validates cfg and compiles it into a [Table]. It reports every
// problem it finds, joined with [errors.Join]; each is an [*Error] that says
// where the problem is, such as
//
//	routing: listener "a": host name "*.*.*x": more than two '*'
//	routing: rule "api": unknown listener "web"
func Compile(cfg Config) (*Table, error) {
	c := &compiler{
		cfg:       cfg,
		byName:    make(map[string]int),
		ruleNames: make(map[string]int),
		patterns:  make([][]string, len(cfg.Listeners)),
		ruleOf:    make([]int, len(cfg.Listeners)),
		entries:   make([]ruleEntry, len(cfg.Rules)),
		maps:      make(map[*PathMap]*pathIndex),
	}
	c.checkListeners()
	c.checkRules()
	if len(c.errs) > 0 {
		return nil, errors.Join(c.errs...)
	}
	return c.table(), nil
}

type compiler struct {
	cfg       Config
	errs      []error
	byName    map[string]int // listener name to index (the first, for a duplicate)
	ruleNames map[string]int // rule name to index (the first, for a duplicate)
	patterns  [][]string     // each listener's normalised host names
	ruleOf    []int          // each listener's rule, or -1
	entries   []ruleEntry
	maps      map[*PathMap]*pathIndex
}

func (c *compiler) fail(where string, err error) {
	c.errs = append(c.errs, &Error{Where: where, Err: err})
}

// listenerWhere names listener i by its name when that is unique, and by
// its index otherwise.
func (c *compiler) listenerWhere(i int) string {
	if name := c.cfg.Listeners[i].Name; name != "" && c.byName[name] == i {
		return fmt.Sprintf("listener %q", name)
	}
	return fmt.Sprintf("listener[%d]", i)
}

// ruleWhere names rule i by its name when that is unique, and by its index
// otherwise.
func (c *compiler) ruleWhere(i int) string {
	if name := c.cfg.Rules[i].Name; name != "" && c.ruleNames[name] == i {
		return fmt.Sprintf("rule %q", name)
	}
	return fmt.Sprintf("rule[%d]", i)
}

func (c *compiler) checkListeners() {
	type port struct {
		first  int            // the first listener on the port
		basic  int            // the basic listener on the port, or -1
		claims map[string]int // host name to listener
	}
	for i := range c.cfg.Listeners {
		l := &c.cfg.Listeners[i]
		c.ruleOf[i] = -1
		if _, dup := c.byName[l.Name]; l.Name != "" && !dup {
			c.byName[l.Name] = i
		}
	}
	ports := make(map[int]*port)
	for i := range c.cfg.Listeners {
		l := &c.cfg.Listeners[i]
		where := c.listenerWhere(i)
		if l.Name == "" {
			c.fail(where, errors.New("name is required"))
		} else if j := c.byName[l.Name]; j != i {
			c.fail(where, fmt.Errorf("name %q is also listener[%d]'s", l.Name, j))
		}
		if l.RequireSNI && !l.HTTPS {
			c.fail(where, errors.New("RequireSNI is set on an HTTP listener"))
		}
		if n := len(l.HostNames); n > maxHostNames {
			c.fail(where, fmt.Errorf("%d host names, more than %d", n, maxHostNames))
		}
		seen := make(map[string]string)
		for _, h := range l.HostNames {
			hw := fmt.Sprintf("%s: host name %q", where, h)
			p, err := parseHostPattern(h)
			if err != nil {
				c.fail(hw, err)
				continue
			}
			if prev, dup := seen[p]; dup {
				c.fail(hw, fmt.Errorf("same as host name %q", prev))
				continue
			}
			seen[p] = h
			c.patterns[i] = append(c.patterns[i], p)
		}
		if l.Port < 1 || l.Port > 65535 {
			c.fail(where, fmt.Errorf("port %d is not in 1-65535", l.Port))
			continue
		}
		pt := ports[l.Port]
		if pt == nil {
			pt = &port{first: i, basic: -1, claims: make(map[string]int)}
			ports[l.Port] = pt
		} else if first := &c.cfg.Listeners[pt.first]; first.HTTPS != l.HTTPS {
			c.fail(where, fmt.Errorf("port %d is %s for %s but %s here",
				l.Port, scheme(first.HTTPS), c.listenerWhere(pt.first), scheme(l.HTTPS)))
		}
		if len(l.HostNames) == 0 {
			if pt.basic >= 0 {
				c.fail(where, fmt.Errorf("a second basic listener on port %d (%s is one)", l.Port, c.listenerWhere(pt.basic)))
			} else {
				pt.basic = i
			}
		}
		for k, p := range c.patterns[i] {
			if j, dup := pt.claims[p]; dup {
				c.fail(fmt.Sprintf("%s: host name %q", where, seen[c.patterns[i][k]]),
					fmt.Errorf("also claimed by %s on port %d", c.listenerWhere(j), l.Port))
				continue
			}
			pt.claims[p] = i
		}
	}
}

func scheme(https bool) string {
	if https {
		return "HTTPS"
	}
	return "HTTP"
}

func (c *compiler) checkRules() {
	rules := c.cfg.Rules
	for i := range rules {
		if _, dup := c.ruleNames[rules[i].Name]; rules[i].Name != "" && !dup {
			c.ruleNames[rules[i].Name] = i
		}
	}
	withPriority := -1 // a rule with a priority
	unknownListener := false
	priorities := make(map[int]int)
	for i := range rules {
		r := &rules[i]
		where := c.ruleWhere(i)
		if r.Name == "" {
			c.fail(where, errors.New("name is required"))
		} else if j := c.ruleNames[r.Name]; j != i {
			c.fail(where, fmt.Errorf("name %q is also rule[%d]'s", r.Name, j))
		}

		self := -1
		if r.Listener == "" {
			c.fail(where, errors.New("listener is required"))
		} else if li, ok := c.byName[r.Listener]; !ok {
			c.fail(where, fmt.Errorf("unknown listener %q", r.Listener))
			unknownListener = true
		} else if j := c.ruleOf[li]; j >= 0 {
			c.fail(where, fmt.Errorf("listener %q already belongs to %s", r.Listener, c.ruleWhere(j)))
		} else {
			c.ruleOf[li] = i
			self = li
		}

		switch {
		case r.Priority == 0:
		case r.Priority < 0 || r.Priority > maxPriority:
			c.fail(where, fmt.Errorf("priority %d is not in 1-%d", r.Priority, maxPriority))
		default:
			if j, dup := priorities[r.Priority]; dup {
				c.fail(where, fmt.Errorf("priority %d is also %s's", r.Priority, c.ruleWhere(j)))
			} else {
				priorities[r.Priority] = i
			}
		}
		if r.Priority != 0 && withPriority < 0 {
			withPriority = i
		}

		kinds := 0
		for _, set := range []bool{r.Target != (Target{}), r.PathMap != nil, r.Redirect != nil} {
			if set {
				kinds++
			}
		}
		switch {
		case kinds == 0:
			c.fail(where, errors.New("needs a Target, a PathMap or a Redirect"))
		case kinds > 1:
			c.fail(where, errors.New("sets more than one of Target, PathMap and Redirect"))
		case r.PathMap != nil:
			c.entries[i].paths = c.pathMap(where, r.PathMap)
			c.checkPathLoops(where, i, self)
		case r.Redirect != nil:
			e, errs := compileRedirect(r.Redirect, self, c.cfg.Listeners, c.patterns, c.byName)
			for _, err := range errs {
				c.fail(where, err)
			}
			c.entries[i].redirect = e
		default:
			c.checkTarget(where, r.Target)
			c.entries[i].target = r.Target
		}
	}
	if withPriority >= 0 {
		for i := range rules {
			if rules[i].Priority == 0 {
				c.fail(c.ruleWhere(i), fmt.Errorf("no priority, but %s has one: give every rule a priority or none", c.ruleWhere(withPriority)))
			}
		}
	}
	// A listener no rule uses is not reported when a rule names an unknown
	// listener: that rule may be meant for it (a misspelt name), and the
	// unknown name is the one problem.
	for i, r := range c.ruleOf {
		if unknownListener {
			break
		}
		if name := c.cfg.Listeners[i].Name; r < 0 && name != "" && c.byName[name] == i {
			c.fail(c.listenerWhere(i), errors.New("no rule uses it"))
		}
	}
}

func (c *compiler) checkTarget(where string, t Target) {
	if t.Pool == "" {
		c.fail(where, errors.New("pool is required"))
	}
	if t.Setting == "" {
		c.fail(where, errors.New("setting is required"))
	}
	if err := checkOverride(t.PathOverride); err != nil {
		c.fail(where, fmt.Errorf("path override %q: %w", t.PathOverride, err))
	}
}

// pathMap validates and compiles m, once however many rules use it.
func (c *compiler) pathMap(where string, m *PathMap) *pathIndex {
	if x, ok := c.maps[m]; ok {
		return x
	}
	if m.Name == "" {
		c.fail(where, errors.New("path map name is required"))
	} else {
		where = fmt.Sprintf("%s: path map %q", where, m.Name)
	}
	defRedirect := c.pathTarget(where+": default", m.Default, m.DefaultRedirect)
	type kind struct {
		key    string
		prefix bool
	}
	seen := make(map[kind]int) // pattern to the last path rule that has it
	names := make(map[string]int)
	targets := make([]Target, len(m.Rules))
	redirects := make([]*redirectEntry, len(m.Rules))
	var matches []*compiledMatch
	var patterns []pathPattern
	hasMatch := slices.ContainsFunc(m.Rules, func(r PathRule) bool { return !r.Match.IsZero() })
	for i := range m.Rules {
		pr := &m.Rules[i]
		pw := fmt.Sprintf("%s: path rule[%d]", where, i)
		j, dup := names[pr.Name]
		switch {
		case pr.Name == "":
			c.fail(pw, errors.New("name is required"))
		case dup:
			c.fail(pw, fmt.Errorf("name %q is also path rule[%d]'s", pr.Name, j))
		default:
			names[pr.Name] = i
			pw = fmt.Sprintf("%s: path rule %q", where, pr.Name)
		}
		if len(pr.Paths) == 0 {
			c.fail(pw, errors.New("no paths"))
		}
		cm, errs := compileMatch(&pr.Match)
		for _, err := range errs {
			c.fail(pw+": match", err)
		}
		if cm != nil {
			if matches == nil {
				matches = make([]*compiledMatch, len(m.Rules))
			}
			matches[i] = cm
		}
		for _, p := range pr.Paths {
			lit, prefix, err := parsePathPattern(p)
			if err != nil {
				c.fail(fmt.Sprintf("%s: path %q", pw, p), err)
				continue
			}
			key := lit
			if !m.CaseSensitive {
				key = foldKey(lit)
			}
			k := kind{key, prefix}
			// A repeated pattern is reachable only behind a rule with a
			// Match: a request that rule's conditions turn away comes to
			// the next.
			if j, dup := seen[k]; dup && (j == i || m.Rules[j].Match.IsZero()) {
				err := fmt.Errorf("repeats a path of path rule[%d]", j)
				if j != i && hasMatch {
					err = fmt.Errorf("repeats a path of path rule[%d], which has no match conditions: no request reaches this rule by it", j)
				}
				c.fail(fmt.Sprintf("%s: path %q", pw, p), err)
				continue
			}
			seen[k] = i
			patterns = append(patterns, pathPattern{rule: int32(i), lit: lit, prefix: prefix})
		}
		redirects[i] = c.pathTarget(pw, pr.Target, pr.Redirect)
		targets[i] = pr.Target
	}
	x := newPathIndex(m.Default, targets, patterns, m.CaseSensitive, matches)
	x.defRedirect, x.redirects = defRedirect, redirects
	c.maps[m] = x
	return x
}

// pathTarget checks a path map's default or one of its path rules, which
// sets exactly one of a Target and a Redirect, and returns the compiled
// redirect (nil for a target). A redirect may target the listener of the
// rule that uses the map: see checkPathLoops.
func (c *compiler) pathTarget(where string, t Target, rd *Redirect) *redirectEntry {
	switch {
	case rd != nil && t != (Target{}):
		c.fail(where, errors.New("sets both a Target and a Redirect"))
	case rd != nil:
		e, errs := compileRedirect(rd, -1, c.cfg.Listeners, c.patterns, c.byName)
		for _, err := range errs {
			c.fail(where, err)
		}
		return e
	default:
		c.checkTarget(where, t)
	}
	return nil
}

// checkPathLoops reports the redirects of rule i's path map that send a
// request back to the same redirect: to the rule's own listener (self) with
// the path included, or without it when "/" itself gets the redirect.
func (c *compiler) checkPathLoops(where string, i, self int) {
	r, x := &c.cfg.Rules[i], c.entries[i].paths
	if self < 0 || x == nil {
		return
	}
	root, _ := x.lookup("/")
	check := func(w string, e *redirectEntry, rule int) {
		if e == nil || !e.toListener || e.target != self {
			return
		}
		switch {
		case e.includePath:
			c.fail(w, fmt.Errorf("redirect to listener %q, the rule's own listener, with the path: every request it matches would come back to it", r.Listener))
		case root == rule:
			c.fail(w, fmt.Errorf("redirect to listener %q, the rule's own listener, at \"/\", which the redirect serves too: the redirected request would come back to it", r.Listener))
		}
	}
	w := where
	if r.PathMap.Name != "" {
		w = fmt.Sprintf("%s: path map %q", where, r.PathMap.Name)
	}
	check(w+": default", x.defRedirect, -1)
	for i, e := range x.redirects {
		pw := fmt.Sprintf("%s: path rule[%d]", w, i)
		if n := r.PathMap.Rules[i].Name; n != "" {
			pw = fmt.Sprintf("%s: path rule %q", w, n)
		}
		check(pw, e, i)
	}
}

// table builds the Table of a valid configuration.
func (c *compiler) table() *Table {
	ls, rs := c.cfg.Listeners, c.cfg.Rules
	order := make([]int, len(rs)) // rules in evaluation order
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(rs[a].Priority, rs[b].Priority) })

	t := &Table{
		ports:     make(map[int]*portTable),
		listeners: make([]listenerEntry, len(ls)),
		rules:     c.entries,
		byRank:    make([]int32, len(rs)),
	}
	for rank, ri := range order {
		li := c.byName[rs[ri].Listener]
		t.byRank[rank] = int32(li)
		t.listeners[li] = listenerEntry{
			rule:     int32(ri),
			rank:     int32(rank),
			basic:    len(ls[li].HostNames) == 0,
			patterns: c.patterns[li],
		}
	}
	hosts := make(map[int][]hostEntry)
	for rank, li := range t.byRank {
		l := &ls[li]
		pt := t.ports[l.Port]
		if pt == nil {
			pt = &portTable{https: l.HTTPS, basic: -1, basicRank: noRank, fallback: -1}
			t.ports[l.Port] = pt
			t.portList = append(t.portList, l.Port)
		}
		if len(l.HostNames) == 0 {
			pt.basic, pt.basicRank, pt.basicRequiresSNI = li, int32(rank), l.RequireSNI
		}
		if l.HTTPS && !l.RequireSNI && pt.fallback < 0 {
			pt.fallback = li
		}
		for _, p := range c.patterns[li] {
			hosts[l.Port] = append(hosts[l.Port], hostEntry{pattern: p, rank: int32(rank)})
		}
	}
	for port, pt := range t.ports {
		pt.hosts = newHostIndex(hosts[port])
	}
	slices.Sort(t.portList)
	return t
}

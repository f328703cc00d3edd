package ebsim

import (
	"maps"
	"sync"
)

// Calls are call counters: ByFunction[function] and
// ByClient[function][clientName].
type Calls struct {
	ByFunction map[string]int            `json:"byFunction"`
	ByClient   map[string]map[string]int `json:"byClient"`
}

// callCounter counts calls under its own lock, apart from the state.
type callCounter struct {
	mu    sync.Mutex
	calls Calls
}

func (c *callCounter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = Calls{ByFunction: map[string]int{}, ByClient: map[string]map[string]int{}}
}

// add counts a call of function, and of clientName when it is not "".
func (c *callCounter) add(function, clientName string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls.ByFunction[function]++
	if clientName == "" {
		return
	}
	byName := c.calls.ByClient[function]
	if byName == nil {
		byName = map[string]int{}
		c.calls.ByClient[function] = byName
	}
	byName[clientName]++
}

// Calls returns a deep copy of the call counters.
func (s *Simulator) Calls() Calls {
	s.calls.mu.Lock()
	defer s.calls.mu.Unlock()
	out := Calls{
		ByFunction: maps.Clone(s.calls.calls.ByFunction),
		ByClient:   make(map[string]map[string]int, len(s.calls.calls.ByClient)),
	}
	for function, byName := range s.calls.calls.ByClient {
		out.ByClient[function] = maps.Clone(byName)
	}
	return out
}

// CallCount returns how many calls reached function.
func (s *Simulator) CallCount(function string) int {
	s.calls.mu.Lock()
	defer s.calls.mu.Unlock()
	return s.calls.calls.ByFunction[function]
}

// ResetCalls sets every call counter to zero.
func (s *Simulator) ResetCalls() {
	s.calls.reset()
}

// ClientCount returns how many client accounts are registered.
func (s *Simulator) ClientCount() int {
	var n int
	s.store.view(func(st *state, _ map[string]string) { n = len(st.Accounts) })
	return n
}

// KeyCount returns how many API keys have been issued.
func (s *Simulator) KeyCount() int {
	var n int
	s.store.view(func(st *state, _ map[string]string) { n = len(st.Keys) })
	return n
}

// Username returns the username registered under a client name.
func (s *Simulator) Username(clientName string) (string, bool) {
	var username string
	var ok bool
	s.store.view(func(_ *state, byName map[string]string) {
		username, ok = byName[clientName]
	})
	return username, ok
}

// clientName returns the client name a request is about, for counting and
// logging: client.name for create, the account's name for calls that carry
// a username, "" otherwise.
func (s *Simulator) clientName(req *request) string {
	switch req.function {
	case "create":
		client, err := objectField(req.raw, "client")
		if err != nil {
			return ""
		}
		name, _ := client.optionalString("name")
		return name
	case "addapi", "showapi", "listops":
		object := "client"
		if req.function == "listops" {
			object = "apidata"
		}
		holder, err := objectField(req.raw, object)
		if err != nil {
			return ""
		}
		username, _ := holder.optionalString("username")
		if username == "" {
			return ""
		}
		var name string
		s.store.view(func(st *state, _ map[string]string) {
			if acct, ok := st.Accounts[username]; ok {
				name = acct.Name
			}
		})
		return name
	}
	return ""
}

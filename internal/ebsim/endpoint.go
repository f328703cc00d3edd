package ebsim

import (
	"bytes"
	"encoding/json"
)

// endpointStringFields are the addapi endpoint members that must be strings
// when present.
var endpointStringFields = []string{
	"ipv4", "ipv6", "email", "country", "network", "datacenter", "hostid",
	"productcode", "instancetype",
}

// validateEndpoint checks the optional addapi endpoint object: its known
// members are strings, country is two letters, and location is
// [latitude, longitude] as two JSON numbers within [-90, 90] and
// [-180, 180]. Unknown members are ignored.
func validateEndpoint(raw map[string]json.RawMessage) error {
	endpoint, err := objectField(raw, "endpoint")
	if err != nil {
		return err
	}
	for _, key := range endpointStringFields {
		if _, err := endpoint.optionalString(key); err != nil {
			return err
		}
	}
	country, _ := endpoint.optionalString("country")
	if endpoint.present("country") && !isTwoLetters(country) {
		return errorf(codeInvalidArgument, "endpoint.country must be a two-letter code")
	}
	if endpoint.present("location") && !validLocation(endpoint.raw["location"]) {
		return errorf(codeInvalidArgument,
			"endpoint.location must be [latitude, longitude] within [-90,90] and [-180,180]")
	}
	return nil
}

func isTwoLetters(s string) bool {
	if len(s) != 2 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// validLocation reports whether value is a list of exactly two JSON numbers
// forming a valid latitude and longitude. Strings holding numbers are not
// accepted.
func validLocation(value json.RawMessage) bool {
	var items []json.RawMessage
	if err := json.Unmarshal(value, &items); err != nil || len(items) != 2 {
		return false
	}
	var coords [2]float64
	for i, item := range items {
		decoder := json.NewDecoder(bytes.NewReader(item))
		decoder.UseNumber()
		var number any
		if err := decoder.Decode(&number); err != nil {
			return false
		}
		n, ok := number.(json.Number)
		if !ok {
			return false
		}
		f, err := n.Float64()
		if err != nil {
			return false
		}
		coords[i] = f
	}
	return coords[0] >= -90 && coords[0] <= 90 && coords[1] >= -180 && coords[1] <= 180
}

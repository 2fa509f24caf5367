package translate

import (
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/e2etls/e2etls/backendtls/tlstest"
)

// conditionOf returns the condition of type typ, or nil.
func conditionOf(cs []metav1.Condition, typ string) *metav1.Condition {
	for i := range cs {
		if cs[i].Type == typ {
			return &cs[i]
		}
	}
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }

func tlstestOpts(cn string) tlstest.Options { return tlstest.Options{CommonName: cn} }

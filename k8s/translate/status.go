package translate

import (
	"errors"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// condition builds a condition with a zero LastTransitionTime (see Result).
func condition(typ string, ok bool, reason, message string, generation int64) metav1.Condition {
	st := metav1.ConditionFalse
	if ok {
		st = metav1.ConditionTrue
	}
	return metav1.Condition{
		Type:               typ,
		Status:             st,
		Reason:             reason,
		Message:            truncate(message),
		ObservedGeneration: generation,
	}
}

// maxMessage is the longest condition message the API server accepts.
const maxMessage = 32768

func truncate(s string) string {
	if len(s) <= maxMessage {
		return s
	}
	return s[:maxMessage-3] + "..."
}

func joinErrors(errs []error) error { return errors.Join(errs...) }

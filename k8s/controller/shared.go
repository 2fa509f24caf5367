package controller

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// shared is what the replicas share through the shared Secret.
type shared struct {
	affinity []byte
	tickets  [][32]byte
}

// parseShared reads the shared Secret's fields.
func parseShared(data map[string][]byte) (shared, error) {
	var sh shared
	sh.affinity = data[AffinityKeyField]
	if len(sh.affinity) < 16 {
		return sh, fmt.Errorf("key %q holds %d bytes, want at least 16", AffinityKeyField, len(sh.affinity))
	}
	t := data[SessionTicketKeysField]
	if len(t) == 0 || len(t)%32 != 0 {
		return sh, fmt.Errorf("key %q holds %d bytes, want one or more keys of 32 bytes", SessionTicketKeysField, len(t))
	}
	for i := 0; i < len(t); i += 32 {
		var k [32]byte
		copy(k[:], t[i:])
		if k == ([32]byte{}) {
			return sh, fmt.Errorf("key %q: key %d is all zero bytes", SessionTicketKeysField, i/32)
		}
		sh.tickets = append(sh.tickets, k)
	}
	return sh, nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// sharedState reads the shared Secret, creating it with a fresh affinity
// key and session ticket key when it is missing, or adding a ticket key
// when a Secret of an earlier version lacks one (the first replica to
// write wins; the others read what it wrote).
func (c *Controller) sharedState(ctx context.Context) (shared, error) {
	secrets := c.kube.CoreV1().Secrets(c.cfg.Namespace)
	where := c.cfg.Namespace + "/" + c.cfg.SharedSecretName
	for attempt := 0; attempt < 5; attempt++ {
		s, err := secrets.Get(ctx, c.cfg.SharedSecretName, metav1.GetOptions{})
		if err == nil {
			if len(s.Data[SessionTicketKeysField]) == 0 {
				cp := s.DeepCopy()
				if cp.Data == nil {
					cp.Data = map[string][]byte{}
				}
				cp.Data[SessionTicketKeysField] = randomBytes(32)
				_, err := secrets.Update(ctx, cp, metav1.UpdateOptions{})
				switch {
				case err == nil:
					c.log.Info("controller: added a session ticket key to the shared Secret", slog.String("secret", where))
					return parseShared(cp.Data)
				case apierrors.IsConflict(err):
					continue // another replica wrote it meanwhile: read again
				default:
					return shared{}, fmt.Errorf("controller: add a session ticket key to the shared Secret %s (RBAC: update on it): %w", where, err)
				}
			}
			sh, err := parseShared(s.Data)
			if err != nil {
				return shared{}, fmt.Errorf("controller: shared Secret %s: %w", where, err)
			}
			return sh, nil
		}
		if !apierrors.IsNotFound(err) {
			return shared{}, fmt.Errorf("controller: read shared Secret %s: %w", where, err)
		}
		data := map[string][]byte{AffinityKeyField: randomBytes(32), SessionTicketKeysField: randomBytes(32)}
		_, err = secrets.Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: c.cfg.SharedSecretName, Namespace: c.cfg.Namespace,
				Labels: map[string]string{"app.kubernetes.io/managed-by": "e2etls-gateway"}},
			Type: corev1.SecretTypeOpaque,
			Data: data,
		}, metav1.CreateOptions{})
		if err == nil {
			c.log.Info("controller: created the shared Secret", slog.String("secret", where))
			return parseShared(data)
		}
		if !apierrors.IsAlreadyExists(err) {
			return shared{}, fmt.Errorf("controller: create shared Secret %s: %w", where, err)
		}
		// Another replica created it meanwhile: read it.
	}
	return shared{}, fmt.Errorf("controller: shared Secret %s: gave up after 5 attempts", where)
}

// currentShared returns the shared Secret's keys as the informer has them
// now, so that an edit (a ticket key rotated in) applies at once; when the
// Secret is gone or holds something unusable, the keys last read stay in
// force, and the problem is logged once per change.
func (c *Controller) currentShared() shared {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, err := c.listers.secrets.Secrets(c.cfg.Namespace).Get(c.cfg.SharedSecretName)
	if err != nil {
		return c.shared
	}
	if s.ResourceVersion == c.sharedVersion {
		return c.shared
	}
	c.sharedVersion = s.ResourceVersion
	sh, err := parseShared(s.Data)
	if err != nil {
		c.log.Error("controller: the shared Secret is not usable; the keys last read stay in force",
			slog.String("secret", c.cfg.Namespace+"/"+c.cfg.SharedSecretName), slog.Any("error", err))
		return c.shared
	}
	c.shared = sh
	c.sharedKey = sh.affinity
	return sh
}

package list_test

import (
	"testing"

	"github.com/vigilsec/vigil/internal/agent/collect/list"
	"github.com/vigilsec/vigil/internal/agent/plugin/plugintest"
)

func TestRegistry(t *testing.T) {
	plugintest.CheckRegistry(t, "..", list.All())
}

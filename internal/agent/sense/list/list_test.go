package list_test

import (
	"testing"

	"github.com/vigilsec/vigil/internal/agent/plugin/plugintest"
	"github.com/vigilsec/vigil/internal/agent/sense/list"
)

func TestRegistry(t *testing.T) {
	plugintest.CheckRegistry(t, "..", list.All())
}

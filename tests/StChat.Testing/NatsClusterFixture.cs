using Xunit;

namespace StChat.Testing;

// One three-node nats-server cluster per test class: use as IClassFixture<NatsClusterFixture>. A test that kills a node
// restarts it before it ends, so the next test finds all three.
public sealed class NatsClusterFixture : IAsyncLifetime
{
    private NatsCluster? _cluster;

    public NatsCluster Cluster => _cluster ?? throw new InvalidOperationException("The fixture has not been initialized.");

    public async ValueTask InitializeAsync() => _cluster = await NatsCluster.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

using System.Threading.Channels;

namespace StChat.Catalogue;

/// <summary>
/// One socket's queue of live chunks. When it is full the chunk is not queued: the socket finds the horizon ahead of
/// its cursor and reads the range from PostgreSQL instead, so a slow reader costs a query, never a row.
/// </summary>
internal sealed class CatalogueSubscription(int capacity, Action<CatalogueSubscription> unsubscribe) : IDisposable
{
    private readonly Channel<CatalogueChunk> _chunks = Channel.CreateBounded<CatalogueChunk>(
        new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    public ChannelReader<CatalogueChunk> Chunks => _chunks.Reader;

    public void Offer(CatalogueChunk chunk) => _chunks.Writer.TryWrite(chunk);

    public void Dispose() => unsubscribe(this);
}

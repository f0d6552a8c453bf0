using System.Threading.Channels;

namespace StChat.Nats.Internal;

// The reader side of a subscription channel: every message taken out gives its bytes back to the subscription's
// byte budget, whichever read method the consumer uses.
internal sealed class SubscriptionReader(ChannelReader<NatsMsg> inner, Action<int> onRead) : ChannelReader<NatsMsg>
{
    public override Task Completion => inner.Completion;

    public override bool CanCount => inner.CanCount;

    public override int Count => inner.Count;

    public override bool CanPeek => inner.CanPeek;

    public override bool TryPeek(out NatsMsg item) => inner.TryPeek(out item);

    public override bool TryRead(out NatsMsg item)
    {
        if (!inner.TryRead(out item))
        {
            return false;
        }

        onRead(item.Size);
        return true;
    }

    public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) =>
        inner.WaitToReadAsync(cancellationToken);

    public override ValueTask<NatsMsg> ReadAsync(CancellationToken cancellationToken = default)
    {
        return TryRead(out var item) ? new ValueTask<NatsMsg>(item) : ReadSlowAsync(cancellationToken);
    }

    private async ValueTask<NatsMsg> ReadSlowAsync(CancellationToken cancellationToken)
    {
        var item = await inner.ReadAsync(cancellationToken);
        onRead(item.Size);
        return item;
    }
}

namespace StChat.Chat.Tests.Infrastructure;

// Records what the writer hands to the fan-out.
internal sealed class RecordingBus : IRoomEventBus
{
    private readonly List<ChatEvent> _committed = [];

    public List<ChatEvent> Committed
    {
        get
        {
            lock (_committed)
            {
                return [.. _committed];
            }
        }
    }

    public IDisposable Subscribe(string room, IRoomSubscriber subscriber) => throw new NotSupportedException();

    public void PublishCommitted(IReadOnlyList<ChatEvent> events)
    {
        lock (_committed)
        {
            _committed.AddRange(events);
        }
    }

    public void PublishEphemeral(string room, ReadOnlyMemory<byte> frame, IRoomSubscriber? except = null, string? exceptUser = null)
    {
    }

    public void PublishToAccount(long accountId, byte[] frame)
    {
    }

    public void SignOut(long sessionId)
    {
    }
}

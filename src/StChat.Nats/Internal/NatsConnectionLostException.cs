namespace StChat.Nats.Internal;

// Fails PINGs that were in flight on a socket that died; PingAsync retries them on the next connection.
internal sealed class NatsConnectionLostException : NatsException
{
    public NatsConnectionLostException(string message)
        : base(message)
    {
    }
}

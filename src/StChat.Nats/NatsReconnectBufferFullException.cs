namespace StChat.Nats;

/// <summary>Publishing while disconnected would exceed <see cref="NatsOpts.ReconnectBufferSize"/>.</summary>
public sealed class NatsReconnectBufferFullException : NatsException
{
    /// <summary>Creates the exception with a default message.</summary>
    public NatsReconnectBufferFullException()
        : base("The reconnect buffer is full.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public NatsReconnectBufferFullException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    public NatsReconnectBufferFullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

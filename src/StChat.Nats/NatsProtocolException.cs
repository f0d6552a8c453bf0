namespace StChat.Nats;

/// <summary>The server sent input that does not follow the NATS protocol.</summary>
public sealed class NatsProtocolException : NatsException
{
    /// <summary>Creates the exception with a default message.</summary>
    public NatsProtocolException()
        : base("The server sent malformed protocol data.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public NatsProtocolException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    public NatsProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

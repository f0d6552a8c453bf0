namespace StChat.Nats;

/// <summary>A message is larger than the server's max_payload.</summary>
public sealed class NatsPayloadTooLargeException : NatsException
{
    /// <summary>Creates the exception with a default message.</summary>
    public NatsPayloadTooLargeException()
        : base("The payload exceeds the server's max_payload.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public NatsPayloadTooLargeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    public NatsPayloadTooLargeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

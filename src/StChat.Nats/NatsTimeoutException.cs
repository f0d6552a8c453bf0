namespace StChat.Nats;

/// <summary>A request or ping got no answer in time.</summary>
public sealed class NatsTimeoutException : NatsException
{
    /// <summary>Creates the exception with a default message.</summary>
    public NatsTimeoutException()
        : base("The NATS operation timed out.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public NatsTimeoutException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    public NatsTimeoutException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

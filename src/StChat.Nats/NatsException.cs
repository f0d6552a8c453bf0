namespace StChat.Nats;

/// <summary>Base of all errors raised by the NATS client.</summary>
public class NatsException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public NatsException()
        : base("A NATS error occurred.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public NatsException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    public NatsException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

namespace StChat.Nats.JetStream;

/// <summary>A JetStream operation failed.</summary>
public class NatsJSException : NatsException
{
    /// <summary>Creates the exception with a default message.</summary>
    public NatsJSException()
        : base("A JetStream error occurred.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public NatsJSException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    public NatsJSException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

namespace StChat.Nats;

/// <summary>A request found no subscriber on its subject (status 503).</summary>
public sealed class NatsNoRespondersException : NatsException
{
    /// <summary>Creates the exception with a default message.</summary>
    public NatsNoRespondersException()
        : base("No responders are available for the request.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public NatsNoRespondersException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    public NatsNoRespondersException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

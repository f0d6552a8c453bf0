namespace StChat.Nats;

/// <summary>The server answered with -ERR.</summary>
public sealed class NatsServerErrorException : NatsException
{
    /// <summary>Creates the exception with a default message.</summary>
    public NatsServerErrorException()
        : base("The server reported an error.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public NatsServerErrorException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    public NatsServerErrorException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

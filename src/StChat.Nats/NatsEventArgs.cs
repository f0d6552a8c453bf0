namespace StChat.Nats;

/// <summary>Connection event details.</summary>
public class NatsEventArgs : EventArgs
{
    /// <summary>Creates event arguments.</summary>
    public NatsEventArgs(string message) => Message = message;

    /// <summary>What happened, for logs.</summary>
    public string Message { get; }
}

namespace StChat.Nats;

/// <summary>State of a <see cref="NatsConnection"/>.</summary>
public enum NatsConnectionState
{
    /// <summary>Not connected: never opened, given up, or disposed.</summary>
    Closed,

    /// <summary>First connection attempt in progress.</summary>
    Connecting,

    /// <summary>Connected and handshake done.</summary>
    Open,

    /// <summary>Lost the server; trying to connect again.</summary>
    Reconnecting,
}

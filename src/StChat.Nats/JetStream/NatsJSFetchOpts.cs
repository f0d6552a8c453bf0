namespace StChat.Nats.JetStream;

/// <summary>Options of one pull request made by <see cref="NatsJSContext.FetchAsync"/>.</summary>
public sealed record NatsJSFetchOpts
{
    /// <summary>Most messages the fetch yields.</summary>
    public int MaxMsgs { get; init; } = 100;

    /// <summary>
    /// How long the server keeps the request open waiting for messages. Ignored when <see cref="NoWait"/> is set.
    /// </summary>
    public TimeSpan Expires { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>End at once with what is available instead of waiting for messages to arrive.</summary>
    public bool NoWait { get; init; }

    /// <summary>Most payload bytes the fetch yields; null for no limit.</summary>
    public long? MaxBytes { get; init; }
}

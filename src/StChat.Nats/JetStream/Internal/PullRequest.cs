namespace StChat.Nats.JetStream.Internal;

// Body of $JS.API.CONSUMER.MSG.NEXT; unset members are left out so the server applies its defaults.
internal sealed record PullRequest
{
    public int Batch { get; init; }

    // Nanoseconds, not a TimeSpan: the request carries a raw count and zero means "absent".
    public long? Expires { get; init; }

    public bool? NoWait { get; init; }

    public long? MaxBytes { get; init; }
}

namespace StChat.Nats;

/// <summary>Raised when a subscription's channel is full and messages are being dropped.</summary>
public sealed class NatsSlowConsumerEventArgs : EventArgs
{
    /// <summary>Creates event arguments.</summary>
    public NatsSlowConsumerEventArgs(NatsSubscription subscription) => Subscription = subscription;

    /// <summary>The subscription whose reader is not keeping up.</summary>
    public NatsSubscription Subscription { get; }
}

namespace StChat.Nats.JetStream;

/// <summary>Options for a <see cref="NatsJSContext"/>.</summary>
public sealed record NatsJSOpts
{
    /// <summary>The default options: API prefix <c>$JS.API</c>, the connection's request timeout.</summary>
    public static readonly NatsJSOpts Default = new();

    /// <summary>Subject prefix of the JetStream API; <c>$JS.&lt;domain&gt;.API</c> reaches another domain.</summary>
    public string ApiPrefix { get; init; } = "$JS.API";

    /// <summary>
    /// Timeout of API requests, publish acknowledgements and double acks;
    /// null uses <see cref="NatsOpts.RequestTimeout"/> of the connection.
    /// </summary>
    public TimeSpan? RequestTimeout { get; init; }
}

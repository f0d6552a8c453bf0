using System.Globalization;
using Microsoft.Extensions.Options;

namespace StChat.Chat;

// Checked on start so a bad value stops the process with a message naming the key and the accepted range.
internal sealed class ChatOptionsValidator : IValidateOptions<ChatOptions>
{
    public ValidateOptionsResult Validate(string? name, ChatOptions options)
    {
        var errors = new List<string>();

        if (!Uri.TryCreate(options.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            errors.Add($"Chat:Url must be an absolute http:// or https:// address such as {ChatOptions.DefaultUrl} (got '{options.Url}').");
        }

        if (!RoomName.IsValid(options.DefaultRoom))
        {
            errors.Add($"Chat:DefaultRoom must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-' (got '{options.DefaultRoom}').");
        }

        Range(errors, "HistoryLength", options.HistoryLength, 0, 10_000);
        Range(errors, "MaxMessageBytes", options.MaxMessageBytes, 1, 60_000);
        Range(errors, "SendQueueCapacity", options.SendQueueCapacity, 8, 1_000_000);
        Range(errors, "MessageBurst", options.MessageBurst, 1, 100_000);
        Range(errors, "RateLimitStrikes", options.RateLimitStrikes, 1, 100_000);
        Range(errors, "MaxConnections", options.MaxConnections, 1, 1_000_000);
        Range(errors, "MaxSubscriptions", options.MaxSubscriptions, 1, 10_000);
        Range(errors, "MaxGroupMembers", options.MaxGroupMembers, 2, 100_000);
        Range(errors, "PasswordIterations", options.PasswordIterations, 10_000, 10_000_000);
        Range(errors, "LoginFailuresPerAccount", options.LoginFailuresPerAccount, 1, 1_000);
        Range(errors, "LoginFailuresPerAddress", options.LoginFailuresPerAddress, 1, 100_000);
        Range(errors, "AccountsPerAddressPerHour", options.AccountsPerAddressPerHour, 1, 100_000);
        Range(errors, "MaxBatchSize", options.MaxBatchSize, 1, 10_000);
        Range(errors, "WriteQueueCapacity", options.WriteQueueCapacity, 1, 10_000_000);
        Range(errors, "MaxConnectionsPerAddress", options.MaxConnectionsPerAddress, 1, 1_000_000);
        Range(errors, "JoinsPerAddressPerMinute", options.JoinsPerAddressPerMinute, 1, 1_000_000);
        Range(errors, "JoinBurstPerAddress", options.JoinBurstPerAddress, 1, 1_000_000);
        Range(errors, "RequestsPerSessionPerMinute", options.RequestsPerSessionPerMinute, 1, 1_000_000);
        Range(errors, "RequestsPerAddressPerMinute", options.RequestsPerAddressPerMinute, 1, 1_000_000);
        if (options.MaxRequestBodyBytes is < 1024 or > 100 * 1024 * 1024)
        {
            errors.Add($"Chat:MaxRequestBodyBytes must be between 1024 and {100 * 1024 * 1024} (got {options.MaxRequestBodyBytes}).");
        }

        errors.AddRange(Security.AllowedOrigins.Problems(options.AllowedOrigins));
        errors.AddRange(Security.TrustedProxies.Problems(options.TrustedProxies));

        if (!(options.MessagesPerSecond > 0))
        {
            errors.Add($"Chat:MessagesPerSecond must be greater than 0 (got {options.MessagesPerSecond.ToString(CultureInfo.InvariantCulture)}).");
        }

        Positive(errors, "KeepAliveInterval", options.KeepAliveInterval);
        Positive(errors, "KeepAliveTimeout", options.KeepAliveTimeout);
        Positive(errors, "SendTimeout", options.SendTimeout);
        Positive(errors, "AckTimeout", options.AckTimeout);
        Positive(errors, "WriteAttemptTimeout", options.WriteAttemptTimeout);
        Positive(errors, "ShutdownTimeout", options.ShutdownTimeout);
        Positive(errors, "SessionLifetime", options.SessionLifetime);
        Positive(errors, "SessionCheckInterval", options.SessionCheckInterval);
        Positive(errors, "ReconcileInterval", options.ReconcileInterval);
        Positive(errors, "PresenceHeartbeat", options.PresenceHeartbeat);
        if (options.PresenceTimeout < 2 * options.PresenceHeartbeat)
        {
            errors.Add($"Chat:PresenceTimeout ({options.PresenceTimeout}) must be at least twice Chat:PresenceHeartbeat ({options.PresenceHeartbeat}), or a live node can be taken for dead.");
        }
        if (options.Bus is not (ChatOptions.LocalBus or ChatOptions.NatsBus))
        {
            errors.Add($"Chat:Bus must be '{ChatOptions.LocalBus}' (one node) or '{ChatOptions.NatsBus}' (many nodes over NATS); got '{options.Bus}'.");
        }

        if (string.IsNullOrWhiteSpace(options.SubjectPrefix) || options.SubjectPrefix.Any(c => char.IsWhiteSpace(c) || c is '*' or '>')
            || options.SubjectPrefix.StartsWith('.') || options.SubjectPrefix.EndsWith('.'))
        {
            errors.Add($"Chat:SubjectPrefix must be NATS subject tokens without wildcards or spaces, such as 'stchat.chat'; got '{options.SubjectPrefix}'.");
        }
        Positive(errors, "LoginAccountBlockMax", options.LoginAccountBlockMax);
        Positive(errors, "LoginAddressBlockMax", options.LoginAddressBlockMax);
        Positive(errors, "LoginFailureWindow", options.LoginFailureWindow);
        if (options.TypingInterval < TimeSpan.Zero)
        {
            errors.Add($"Chat:TypingInterval must not be negative (got {options.TypingInterval}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Range(List<string> errors, string key, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            errors.Add($"Chat:{key} must be between {min} and {max} (got {value}).");
        }
    }

    private static void Positive(List<string> errors, string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"Chat:{key} must be a positive time span such as 00:00:05 (got {value}).");
        }
    }
}

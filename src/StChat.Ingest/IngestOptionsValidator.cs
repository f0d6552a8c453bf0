using Microsoft.Extensions.Options;

namespace StChat.Ingest;

/// <summary>Checks the <c>Ingest</c> section at start, naming the setting and the fix for each problem.</summary>
internal sealed class IngestOptionsValidator : IValidateOptions<IngestOptions>
{
    // NATS stream and consumer names may not contain these (they become subject tokens).
    private static readonly char[] ForbiddenNameChars = [' ', '\t', '.', '*', '>', '/', '\\'];

    public ValidateOptionsResult Validate(string? name, IngestOptions options)
    {
        var errors = new List<string>();
        CheckName(errors, "Stream", options.Stream);
        CheckName(errors, "Consumer", options.Consumer);
        if (!Uri.TryCreate(options.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            errors.Add($"Ingest:Url must be an absolute http:// or https:// address such as {IngestOptions.DefaultUrl} (got '{options.Url}').");
        }

        if (options.BatchSize is < 1 or > 10_000)
        {
            errors.Add($"Ingest:BatchSize is {options.BatchSize}; set it between 1 and 10000 (default 2000).");
        }

        if (options.FetchExpires < TimeSpan.FromSeconds(1) || options.FetchExpires > TimeSpan.FromMinutes(5))
        {
            errors.Add($"Ingest:FetchExpires is {options.FetchExpires}; set it between 00:00:01 and 00:05:00 (default 00:00:01).");
        }

        if (options.AckWait < TimeSpan.FromSeconds(1))
        {
            errors.Add($"Ingest:AckWait is {options.AckWait}; set it to at least 00:00:01 (default 00:00:30).");
        }
        else if (options.AckWait <= options.FetchExpires)
        {
            errors.Add($"Ingest:AckWait ({options.AckWait}) must be longer than Ingest:FetchExpires ({options.FetchExpires}), " +
                "or messages are redelivered while their batch is still being fetched.");
        }

        if (options.StoresInFlight is < 1 or > 8)
        {
            errors.Add($"Ingest:StoresInFlight is {options.StoresInFlight}; set it between 1 and 8 (default 2).");
        }

        if (!Enum.IsDefined(options.StoreMethod))
        {
            errors.Add($"Ingest:StoreMethod is {options.StoreMethod}; set it to Copy (the default), Unnest or CopyStaged.");
        }

        if (options.MaxAckPending < options.BatchSize)
        {
            errors.Add($"Ingest:MaxAckPending ({options.MaxAckPending}) is smaller than Ingest:BatchSize ({options.BatchSize}); " +
                "the broker would never hand out a full batch. Set it to several batches (default 20000).");
        }

        if (options.DuplicateWindow < TimeSpan.Zero)
        {
            errors.Add($"Ingest:DuplicateWindow is {options.DuplicateWindow}; set a positive duration such as 00:02:00.");
        }

        if (options.MaxAge < TimeSpan.Zero)
        {
            errors.Add($"Ingest:MaxAge is {options.MaxAge}; use 00:00:00 for no age limit or a positive duration.");
        }
        else if (options.MaxAge > TimeSpan.Zero && options.DuplicateWindow > options.MaxAge)
        {
            errors.Add($"Ingest:DuplicateWindow ({options.DuplicateWindow}) may not exceed Ingest:MaxAge ({options.MaxAge}).");
        }

        if (options.MaxBytes is 0 or < -1)
        {
            errors.Add($"Ingest:MaxBytes is {options.MaxBytes}; use -1 for no limit or a positive number of bytes.");
        }

        if (options.MaxMsgs is 0 or < -1)
        {
            errors.Add($"Ingest:MaxMsgs is {options.MaxMsgs}; use -1 for no limit or a positive number of messages.");
        }

        // JetStream's own limit; 3 (or 5) is the usual choice, one server may then fail (or two).
        if (options.Replicas is < 1 or > 5)
        {
            errors.Add($"Ingest:Replicas is {options.Replicas}; set it between 1 and 5 (default 1: one copy, the " +
                "only choice on a single nats-server; 3 on a JetStream cluster of three or more servers).");
        }

        if (options.ProgressInterval < TimeSpan.FromSeconds(1))
        {
            errors.Add($"Ingest:ProgressInterval is {options.ProgressInterval}; set it to at least 00:00:01.");
        }

        if (options.RetryMinDelay <= TimeSpan.Zero || options.RetryMaxDelay < options.RetryMinDelay)
        {
            errors.Add($"Ingest:RetryMinDelay ({options.RetryMinDelay}) must be positive and no more than " +
                $"Ingest:RetryMaxDelay ({options.RetryMaxDelay}).");
        }

        // While PostgreSQL is away the worker holds its batch and renews the broker's AckWait (+WPI) before a retry
        // wait that would reach half of it; a wait longer than that lets the broker redeliver the held batch meanwhile.
        if (options.AckWait >= TimeSpan.FromSeconds(1) && options.RetryMaxDelay >= options.AckWait / 2)
        {
            errors.Add($"Ingest:RetryMaxDelay ({options.RetryMaxDelay}) must be less than half of Ingest:AckWait " +
                $"({options.AckWait}), or a batch held through a database outage is redelivered while the worker waits " +
                $"to retry it. Lower Ingest:RetryMaxDelay below {options.AckWait / 2} or raise Ingest:AckWait above " +
                $"{options.RetryMaxDelay * 2} (defaults 00:00:10 and 00:00:30).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void CheckName(List<string> errors, string setting, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add($"Ingest:{setting} is empty; set a JetStream name such as \"FEEDS\".");
        }
        else if (value.IndexOfAny(ForbiddenNameChars) >= 0 || value.Length > 255)
        {
            errors.Add($"Ingest:{setting} \"{value}\" is not a valid JetStream name; use letters, digits, '-' and '_' " +
                "(no spaces, '.', '*', '>', '/' or '\\'), at most 255 characters.");
        }
    }
}

namespace StChat.Nats.Internal;

// One parsed server operation. Msg/Sid are set for MSG and HMSG; Text holds the INFO JSON or the -ERR message.
internal readonly record struct ServerOp(ServerOpKind Kind, int Sid, NatsMsg Msg, string? Text)
{
    public static ServerOp Simple(ServerOpKind kind) => new(kind, 0, default, null);
}

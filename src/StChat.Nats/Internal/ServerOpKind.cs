namespace StChat.Nats.Internal;

internal enum ServerOpKind
{
    Msg,
    Ping,
    Pong,
    Ok,
    Err,
    Info,
}

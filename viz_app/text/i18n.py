"""Every string the user sees, in Korean and English: one table, one entry per sentence, and the wording of the
engine's errors (``error_message``).

``t(key, lang, **values)`` formats an entry. Keys are grouped by prefix: view., ctl., opt., fig., axis., msg., exp.
"""
from __future__ import annotations

import html
import re

from engine import (ArchitectureError, DataError, EngineError, ResourceError, StateDictError, TextError,
                    VocabularyError, tasks)
from engine.serving import budget, limits

from viz_app.text import escape as safe

STRINGS: dict[str, tuple[str, str]] = {
    # app
    "app.title": ("순환 신경망 들여다보기", "Inside recurrent neural networks"),
    "app.lang": ("언어 / Language", "Language / 언어"),
    "app.view": ("화면", "View"),
    "app.subtitle": ("RNN·LSTM·GRU를 몇 초 만에 학습시키고, 그 안의 숫자(은닉 상태, 게이트, 기울기, 고유값)를 시점마다 "
                     "봅니다. 슬라이더를 움직이면 그림이 바로 바뀌고, 링크 하나가 지금 보이는 그림을 그대로 엽니다.",
                     "Train an RNN, LSTM or GRU in seconds and see the numbers inside it (hidden states, gates, "
                     "gradients, eigenvalues) at every time step. Move a slider and the picture follows; a link "
                     "opens exactly the picture on screen."),
    # views
    "view.nnlm": ("NNLM 대 RNN", "NNLM vs RNN"),
    "view.shapes": ("다 대 일 · 일 대 다 · 다 대 다", "Many-to-one · one-to-many · many-to-many"),
    "view.embed": ("원-핫 대 임베딩", "One-hot vs embeddings"),
    "view.unroll": ("펼친 신경망", "Unrolled network"),
    "view.states": ("은닉 상태와 게이트", "Hidden states and gates"),
    "view.bptt": ("시간에 따른 역전파 (BPTT)", "Backpropagation through time"),
    "view.eigen": ("기울기 소실·폭발과 고유값", "Vanishing / exploding vs eigenvalues"),
    "view.clipping": ("기울기 클리핑", "Gradient clipping"),
    "view.compare": ("RNN · LSTM · GRU 비교", "RNN vs LSTM vs GRU"),
    "view.timeline": ("학습 과정", "Training timeline"),
    # the same, short: presentation mode's view bar fits one row at 1280 px
    "view_short.nnlm": ("NNLM", "NNLM"),
    "view_short.shapes": ("입출력", "Shapes"),
    "view_short.embed": ("임베딩", "Embeddings"),
    "view_short.unroll": ("펼친 신경망", "Unrolled"),
    "view_short.states": ("상태·게이트", "States & gates"),
    "view_short.bptt": ("BPTT", "BPTT"),
    "view_short.eigen": ("고유값", "Eigenvalues"),
    "view_short.clipping": ("클리핑", "Clipping"),
    "view_short.compare": ("RNN·LSTM·GRU", "RNN·LSTM·GRU"),
    "view_short.timeline": ("학습 과정", "Training"),
    # controls
    "ctl.scenario": ("강의 시나리오", "Lecture scenario"),
    "ctl.scenario_none": ("직접 설정", "Custom settings"),
    "ctl.model": ("모델", "Model"),
    "ctl.cell": ("셀", "Cell"),
    "ctl.hidden_size": ("은닉 상태 크기 H", "Hidden size H"),
    "ctl.num_layers": ("층 수", "Layers"),
    "ctl.bidirectional": ("양방향 RNN (앞뒤 두 방향)", "Bidirectional (both directions in time)"),
    "ctl.residual": ("층 사이 잔차 연결", "Residual connections between layers"),
    "ctl.init": ('$W_hh$ 초기화', '$W_hh$ initialisation'),
    "ctl.rho": ('$W_hh$ 스펙트럼 반경 $ρ$ (0 = 초기화 그대로)', '$W_hh$ spectral radius $ρ$ (0 = as initialised)'),
    "ctl.task": ("과제", "Task"),
    "ctl.text": ("학습할 문장", "Text to learn"),
    "ctl.length": ("시퀀스 길이 T (생성 과제; 문자 언어 모델은 문장 길이)", "Sequence length T (generated tasks; the char-LM uses its text's length)"),
    "ctl.batch": ("배치 크기", "Batch size"),
    "ctl.training": ("학습", "Training"),
    "ctl.optimizer": ("옵티마이저", "Optimizer"),
    "ctl.lr": ('학습률 $η$', 'Learning rate $η$'),
    "ctl.epochs": ("에폭 수", "Epochs"),
    "ctl.clip": ("기울기 클리핑", "Gradient clipping"),
    "ctl.clip_threshold": ("클리핑 임계값", "Clipping threshold"),
    "ctl.tbptt": ("단기 BPTT 창 k (0 = 전체 BPTT)", "Truncated-BPTT window k (0 = full BPTT)"),
    "ctl.seed": ("시드", "Seed"),
    "ctl.bptt_window": ("단기 BPTT로 잘랐을 때의 기울기 겹쳐 보기: 창 k (0 = 끔)", "Overlay the truncated-BPTT gradient: window k (0 = off)"),
    "ctl.bptt_window_help": ("보기 전용이며 재학습하지 않습니다. 이 모델은 창 k = {k}로 학습했습니다 (0 = 전체 BPTT).",
                             "View only, no retraining. This model was trained with window k = {k} (0 = full BPTT)."),
    "ctl.alphabet": ("문자 언어 모델의 고정 알파벳 (비우면 문장의 문자들)", "Fixed alphabet of the character LM (empty: the text's own characters)"),
    "ctl.loss": ("문자 언어 모델의 손실 함수", "Loss of the character LM"),
    "ctl.reduce": ("시점별 손실을", "Per-step losses"),
    "ctl.pending": ("차트는 마지막으로 학습한 설정을 보여 줍니다. 위에서 바꾼 값은 '학습하기'를 눌러야 적용됩니다.",
                    "The charts show the last trained settings; edits above take effect when you press Train."),
    "ctl.train": ("학습하기", "Train"),
    "ctl.stop": ("중지", "Stop"),
    "ctl.watch": ("▷ 학습 과정 보기", "▷ Watch it learn"),
    "ctl.watch_help": ("초기화에서 시작해 몇 에폭씩 학습하면서, 지금 고른 화면을 단계마다 다시 그립니다. 멈추면 링크가 그 순간의 모델을 엽니다.",
                       "Starts from the initialisation and trains a few epochs at a time, drawing the chosen view after each step. Paused, the link opens the model of that moment."),
    "ctl.live_pause": ("❚❚ 일시 정지", "❚❚ Pause"),
    "ctl.live_resume": ("▷ 계속", "▷ Continue"),
    "ctl.live_finish": ("▷▷ 끝까지", "▷▷ To the end"),
    "ctl.paused_at": ("학습을 멈춘 에폭", "the epoch training is paused at"),
    "ctl.step": ("시점 t", "Time step t"),
    "ctl.unit": ("은닉 유닛", "Hidden unit"),
    "ctl.layer": ("층", "Layer"),
    "ctl.scale": ("세로축", "Vertical axis"),
    "msg.rho_view_range": (
        '링크의 $ρ = {asked:g}$는 이 슬라이더의 범위({lo:g}–{hi:g}) 밖이라 $ρ = {shown:g}$로 보여 줍니다.',
        "The link's $ρ = {asked:g}$ is outside this slider's range ({lo:g}–{hi:g}): shown at $ρ = {shown:g}$."),
    "ctl.rho_view": ("$W_hh$를 $ρ$로 다시 조정 (재학습 없음)", "Rescale $W_hh$ to $ρ$ (no retraining)"),
    "ctl.rho_view_help": (
        '학습된 $ρ = {rho:.3g}$에 두면 학습된 그대로입니다. LSTM·GRU에서는 $W_hh$의 게이트 블록 모두를 각각 $ρ$로 조정합니다.',
        "At the trained $ρ = {rho:.3g}$ the curve is the trained model's. For an LSTM or GRU every gate block of $W_hh$ is rescaled to $ρ$."),
    "ctl.snapshot": ("학습 단계 (저장된 매개변수)", "Training snapshot"),
    "ctl.next": ("다음 ▶", "Next ▶"),
    "ctl.prev": ("◀ 이전", "◀ Back"),
    "ctl.phase": ("단계별 보기", "Step through"),
    "ctl.phase_at": ("순전파 → 역전파 (BPTT)", "Forward pass → backward (BPTT)"),
    "ctl.phase_fwd": ("→ 순전파 t = {t}", "→ forward t = {t}"),
    "ctl.phase_bwd": ("← BPTT t = {t}", "← BPTT t = {t}"),
    "ctl.play": ("재생", "Play"),
    "ctl.pause": ("일시 정지", "Pause"),
    "ctl.gate": ("보일 값", "Quantity"),
    "ctl.pca3d": ("3차원 PCA", "3-D PCA"),
    "ctl.uploads": ("내 데이터·모델 올리기", "Your own data or model"),
    "ctl.csv": ("CSV 파일 (열마다 특징 하나, 행마다 시점 하나)", "CSV file (a column per feature, a row per time step)"),
    "ctl.target": ("목표 열 (없으면 모든 열의 다음 값을 예측)", "Target column (none: predict every column's next value)"),
    "ctl.no_target": ("없음", "None"),
    "ctl.use_data": ("이 데이터로 학습", "Train on this data"),
    "ctl.model_file": ("PyTorch state_dict (.pt): nn.RNN / nn.LSTM / nn.GRU", "PyTorch state_dict (.pt): nn.RNN / nn.LSTM / nn.GRU"),
    "ctl.use_model": ("이 모델 보기", "Show this model"),
    "ctl.drop_model": ("올린 모델 내리기", "Stop using the uploaded model"),
    "ctl.export": ("슬라이드로 내보내기", "Export for slides"),
    "ctl.slide": ("슬라이드 배경", "Slide background"),
    "ctl.lecture": ("강의 모드 (큰 글씨)", "Lecture mode (large fonts)"),
    "ctl.png_scale": ("PNG 배율", "PNG scale"),
    "ctl.caption": ("설정과 링크를 그림 아래에 표기", "Caption with settings and link"),
    "ctl.download": ("{fmt}", "{fmt}"),
    # options
    "opt.rnn_tanh": ("RNN (tanh)", "RNN (tanh)"),
    "opt.rnn_relu": ("RNN (ReLU)", "RNN (ReLU)"),
    "opt.lstm": ("LSTM", "LSTM"),
    "opt.gru": ("GRU", "GRU"),
    "opt.default": ("PyTorch 기본", "PyTorch default"),
    "opt.orthogonal": ("직교 행렬", "Orthogonal"),
    "opt.identity": ("단위 행렬 (IRNN)", "Identity (IRNN)"),
    "opt.np_rnn": ("양의 준정부호 (np-RNN)", "Positive semi-definite (np-RNN)"),
    "opt.unitary": ("학습 내내 직교 (uRNN)", "Orthogonal throughout training (uRNN)"),
    "opt.char_lm": ("문자 단위 언어 모델", "Character language model"),
    "opt.copy": ("복사 기억 과제", "Copy memory"),
    "opt.adding": ("덧셈 문제", "Adding problem"),
    "opt.temporal_order": ("시간 순서 문제", "Temporal order"),
    "opt.sine": ("잡음 섞인 사인파 회귀", "Noisy sine regression"),
    "opt.spike": ("센서 이상 분류 (다 대 일)", "Sensor spike classification (many-to-one)"),
    "opt.sgd": ("SGD", "SGD"),
    "opt.adam": ("Adam", "Adam"),
    "opt.rmsprop": ("RMSprop", "RMSprop"),
    "opt.none": ("없음", "None"),
    "opt.norm": ("노름 기준", "By norm"),
    "opt.value": ("값 기준", "By value"),
    "opt.csv": ("올린 CSV", "Uploaded CSV"),
    "opt.cross_entropy": ("교차 엔트로피", "Cross-entropy"),
    "opt.mse": ("MSE (원-핫 목표)", "MSE (one-hot targets)"),
    "opt.mean": ("평균 (강의 노트 5장)", "Average (notes, BPTT chapter)"),
    "opt.sum": ("합 (노트의 PyTorch 예제)", "Sum (the notes' PyTorch example)"),
    "opt.regression": ("회귀 (수치)", "Regression (numbers)"),
    "opt.classification": ("분류 (0, 1, 2, …)", "Classification (0, 1, 2, …)"),
    "opt.light": ("흰색", "White"),
    "opt.dark": ("어두운색", "Dark"),
    "opt.log": ("로그", "Log"),
    "opt.linear": ("선형", "Linear"),
    # messages
    "msg.training": ("학습 중… {done}/{total} 업데이트, 손실 {loss:.4g}", "Training… {done}/{total} updates, loss {loss:.4g}"),
    "msg.training_start": ("학습을 시작하는 중…", "Starting to train…"),
    "msg.recording": ("모델 내부 값을 기록하는 중… {seconds:.0f}초", "Recording the model's internals… {seconds:.0f} s"),
    "msg.time_machine": ("스냅숏(슬라이더, 또는 손실 곡선의 점을 누르기)을 고른 뒤 아래 단추를 누르면 모든 화면이 그때의 모델을 보여 줍니다: 거기까지 실제로 학습한 모델입니다.",
                         "Pick a snapshot (the slider, or a click on the loss curve), then the button below shows that model in every view: a model really trained that far."),
    "msg.time_machine_curve": ("곡선의 점을 누른 뒤 아래 단추를 누르면 모든 화면이 그 업데이트 뒤의 모델을 보여 줍니다: 거기까지 실제로 학습한 모델입니다.",
                               "Click a point of a curve, then the button below shows the model after that update in every view: a model really trained that far."),
    "ctl.time_machine_run": ("「{name}」의 업데이트 {updates}번 뒤 모델을 모든 화면에서 보기",
                             "Open “{name}” after update {updates} in every view"),
    "ctl.time_machine": ("업데이트 {updates}번 뒤의 모델을 모든 화면에서 보기", "Open the model after update {updates} in every view"),
    "msg.computing": ("이 화면의 모델과 그림을 계산하는 중… {seconds:.0f}초", "Computing this view's own models and figures… {seconds:.0f} s"),
    "msg.trained_hidden": ("학습 완료: {updates}번 업데이트, {seconds:.1f}초", "Trained: {updates} updates in {seconds:.1f} s"),
    "msg.trained": ("학습 완료: {updates}번 업데이트, {seconds:.1f}초, 마지막 손실 {loss:.4g}",
                    "Trained: {updates} updates in {seconds:.1f} s, final loss {loss:.4g}"),
    "msg.paused": ("에폭 {epoch}/{epochs}에서 멈춤: {updates}번 업데이트, 손실 {loss:.4g}. 이 링크는 지금 보이는 모델을 엽니다.",
                   "Paused at epoch {epoch} of {epochs}: {updates} updates, loss {loss:.4g}. This link opens the model on screen."),
    "msg.paused_start": ("학습 전 (에폭 0/{epochs}): 초기화 그대로의 모델입니다.",
                         "Before training (epoch 0 of {epochs}): the model as initialised."),
    "msg.paused_hidden": ("에폭 {epoch}/{epochs}에서 멈춤: {updates}번 업데이트. 이 링크는 지금 보이는 모델을 엽니다.",
                          "Paused at epoch {epoch} of {epochs}: {updates} updates. This link opens the model on screen."),
    "msg.live_hidden": ("학습 중: 에폭 {epoch}/{epochs}, {updates}번 업데이트", "Learning: epoch {epoch} of {epochs}, {updates} updates"),
    "msg.live": ("학습 중: 에폭 {epoch}/{epochs}, {updates}번 업데이트, 손실 {loss:.4g}",
                 "Learning: epoch {epoch} of {epochs}, {updates} updates, loss {loss:.4g}"),
    "msg.diverged": ("업데이트 {update}에서 손실 또는 기울기가 NaN/Inf가 되어 학습을 멈췄습니다 (기울기 폭발). "
                     "그 전까지의 결과를 보여 줍니다. 클리핑을 켜거나 학습률·ρ를 낮춰 보세요.",
                     "Training stopped at update {update}: the loss or gradient became NaN/Inf (exploding "
                     "gradients). Showing what came before. Try clipping, or a lower learning rate or ρ."),
    "msg.stopped": ("학습을 중지했습니다.", "Training was stopped."),
    "msg.bad_param": ("주소의 '{name}={value}' 값을 쓸 수 없어 기본값을 씁니다 ({reason}).",
                      "The link's '{name}={value}' could not be used; the default applies ({reason})."),
    "reason.whole": ("정수가 아닙니다", "not a whole number"),
    "reason.number": ("수가 아닙니다", "not a number"),
    "reason.finite": ("유한한 수가 아닙니다", "not a finite number"),
    "reason.deck": ("강의 순서가 아닙니다 (앱이 만든 링크의 값이어야 합니다)", "is not a lecture deck (a deck value of a link the app made)"),
    "reason.long": ("{n}자보다 깁니다", "longer than {n} characters"),
    "reason.upload_id": ("올린 파일의 id(16자리 16진수)가 아닙니다", "not an upload id (16 hex digits)"),
    "reason.alphabet": ("알파벳은 서로 다른 문자 {n}개 이하여야 합니다", "an alphabet is at most {n} distinct characters"),
    "reason.hide": ("숨길 수 있는 것: {choices}", "can hide only {choices}"),
    "reason.choice": ("다음 중 하나여야 합니다: {choices}", "not one of {choices}"),
    "reason.range": ("[{lo:g}, {hi:g}] 범위 밖입니다", "outside [{lo:g}, {hi:g}]"),
    "reason.csv": ("올린 CSV가 필요합니다. 왼쪽에서 올리세요", "an uploaded CSV is needed; upload one in the sidebar"),
    "msg.bad_config": ("이 설정으로는 학습할 수 없습니다: {reason}", "These settings cannot be trained: {reason}"),
    "msg.budget": ("이 설정은 이 서버에서 약 {seconds:,.0f}초, {mb:,.0f} MB가 필요해 학습하지 않습니다 (한도: 실행당 {max_s:,.0f}초, {max_mb:,.0f} MB; 교실 전체가 같은 서버를 씁니다).",
                   "These settings would need about {seconds:,.0f} s and {mb:,.0f} MB on this server, so they are not trained (limits per run: {max_s:,.0f} s, {max_mb:,.0f} MB; the whole room shares this server)."),
    "msg.queued": ("서버가 다른 실행을 처리하고 있습니다: 대기 순서 {ahead} (이 실행은 약 {seconds:.0f}초 예상). 저장된 결과는 바로 보입니다.",
                   "The server is busy with other runs: you are number {ahead} in the queue (this one needs about {seconds:.0f} s). Cached results show at once."),
    "msg.limit_memory": ("이 실행이 메모리 한도({limit:,.0f} MB)를 넘어 중지되었습니다. 서버와 다른 사용자의 화면은 영향을 받지 않습니다. 은닉 크기, 길이 또는 배치를 줄여 보세요.",
                         "This run passed its memory limit ({limit:,.0f} MB) and was stopped; the server and everyone else's pages are unaffected. Try a smaller hidden size, length or batch."),
    "msg.limit_time": ("이 실행이 시간 한도({limit:,.0f}초)를 넘어 중지되었습니다. 서버와 다른 사용자의 화면은 영향을 받지 않습니다. 더 작은 설정으로 해 보세요.",
                       "This run passed its time limit ({limit:,.0f} s) and was stopped; the server and everyone else's pages are unaffected. Try smaller settings."),
    "msg.crashed": ("이 실행의 작업 프로세스가 답 없이 끝났습니다 (종료 코드 {limit:.0f}). 서버와 다른 사용자의 화면은 영향을 받지 않습니다.",
                    "This run's worker process ended without an answer (exit code {limit:.0f}); the server and everyone else's pages are unaffected."),
    "msg.time_limit": ("학습이 이 서버의 시간 한도를 넘어 {updates}번 업데이트({seconds:.0f}초)에서 멈췄습니다. 그때까지의 모델을 보여 줍니다.",
                       "Training passed this server's time limit and was stopped after {updates} updates ({seconds:.0f} s); showing the model as it was then."),
    "msg.budget_fits": ("한도 안에 드는 가장 가까운 설정: {fits}.", "Nearest settings that fit: {fits}."),
    "msg.or": (", 또는 ", "; or "),
    "msg.and": (" + ", " and "),
    "msg.fit_epochs": ("에폭 {v}", "epochs {v}"),
    "msg.fit_hidden_size": ("은닉 크기 H {v}", "hidden size H {v}"),
    "msg.fit_batch": ("배치 {v}", "batch {v}"),
    "msg.fit_length": ("시퀀스 길이 T {v}", "sequence length T {v}"),
    "msg.fit_text_length": ("문장 {v}자", "a text of {v} characters"),
    "msg.vocab": ("어휘에 없는 문자: {chars}", "Characters outside the vocabulary: {chars}"),
    "msg.text": ("문장은 2자 이상 {max}자 이하여야 합니다.", "The text needs between 2 and {max} characters."),
    "msg.nonfinite": ("시점 {step}부터 값이 NaN/Inf입니다: 그 앞의 유한한 부분만 그렸습니다.",
                      "Values are NaN/Inf from step {step} on: only the finite part before it is drawn."),
    "msg.train_first": ("왼쪽에서 설정을 고르고 '학습하기'를 누르세요.", "Choose settings on the left and press Train."),
    "msg.regime_vanishing": (
        '기울기 소실 보장: $σ_max(W_hh) = {sigma:.3g} < 1/γ = {bound:.3g}$이므로 $‖∂h_t/∂h_k‖ ≤ ({rate:.3g})^(t−k)$입니다 (Pascanu 외, 2013).',
        'Vanishing guaranteed: $σ_max(W_hh) = {sigma:.3g} < 1/γ = {bound:.3g}$, so $‖∂h_t/∂h_k‖ ≤ ({rate:.3g})^(t−k)$ (Pascanu et al., 2013).'),
    "msg.regime_boundary": (
        '경계: $σ_max(W_hh) = 1/γ = {bound:.3g}$이므로 $‖∂h_t/∂h_k‖ ≤ 1$입니다. 기울기가 커질 수는 없지만 반드시 사라지지도 않습니다 (소실 조건은 엄격한 부등식 $σ_max < 1/γ$).',
        'At the boundary: $σ_max(W_hh) = 1/γ = {bound:.3g}$, so $‖∂h_t/∂h_k‖ ≤ 1$: the gradient cannot grow, but nothing forces it to vanish (the condition for vanishing is the strict $σ_max < 1/γ$).'),
    "msg.regime_exploding": (
        '기울기 폭발 가능 (보장 아님): $σ_max(W_hh) = {sigma:.3g} > 1/γ = {bound:.3g}$. 폭발의 필요조건일 뿐 충분조건이 아닙니다: {why}',
        'Explosion possible, not guaranteed: $σ_max(W_hh) = {sigma:.3g} > 1/γ = {bound:.3g}$. This is necessary for explosion, not sufficient: {why}'),
    "msg.regime_why_tanh": (
        '포화된 유닛은 $tanh′ ≈ 0$이라 $‖∂h_t/∂h_k‖$가 그래도 줄어들 수 있습니다.',
        'saturated units have $tanh′ ≈ 0$, so $‖∂h_t/∂h_k‖$ can still fall.'),
    "msg.regime_boundary_rounding": ('(32비트 부동소수 가중치의 반올림 안에서 같음: $|γσ_max − 1| = {dev:.1e}$)',
                                     "(equal up to the float32 weights' rounding: $|γσ_max − 1| = {dev:.1e}$)"),
    "msg.regime_why_relu": (
        '꺼진 ReLU 유닛($ReLU′ = 0$)은 그 경로를 끊으므로 $‖∂h_t/∂h_k‖$가 그래도 줄어들 수 있습니다.',
        'ReLU units that are off ($ReLU′ = 0$) cut the paths through them, so $‖∂h_t/∂h_k‖$ can still fall.'),
    "msg.regime_gated": (
        '{cell}에는 $W_hh$만으로 내릴 수 있는 보장이 없습니다: {path} $W_hh$를 거치지 않으므로, 게이트가 1에 가까우면 $σ_max$와 상관없이 기울기가 전달됩니다 (여기서 후보 블록 ${block}$의 $σ_max = {sigma:.3g}$). 아래의 측정값을 보세요.',
        'No guarantee from $W_hh$ for the {cell}: {path} does not pass through $W_hh$, so a gate near 1 carries the gradient whatever $σ_max$ is (here the candidate block ${block}$ has $σ_max = {sigma:.3g}$). Look at the measured decay below.'),
    "msg.regime_path_lstm": (
        '셀 상태 경로 $c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t$의 야코비안 $∂c_t/∂c_{t−1} = diag(f_t)$는',
        "the cell state's path $c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t$, whose Jacobian $∂c_t/∂c_{t−1} = diag(f_t)$,"),
    "msg.regime_path_gru": (
        '$h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}$의 항 $diag(z_t)$는',
        'the term $diag(z_t)$ of $h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}$'),
    "msg.regime_path_other": ('$h_{t−1}$에서 $h_t$로 가는 게이트 경로는', "the cell's gated path from $h_{t−1}$ to $h_t$"),
    "msg.regime_undefined": ('$W_hh$에 NaN/Inf가 있어 스펙트럼을 계산할 수 없습니다.', '$W_hh$ holds NaN/Inf: its spectrum is undefined.'),
    "msg.measured_ratio": (
        '이 실행의 측정값: $T = {steps}$ 시점에서 $‖∂h_T/∂h_1‖ / ‖∂h_T/∂h_{{T−1}}‖ = {ratio:.2g}$.',
        'Measured on this run: $‖∂h_T/∂h_1‖ / ‖∂h_T/∂h_{{T−1}}‖ = {ratio:.2g}$ over $T = {steps}$ steps.'),
    "msg.sensitivity": (
        '이 실행의 측정값 (마지막 시점 $t = {t}$): $‖∂h_t/∂x_1‖ = {rnn:.2g}$ (RNN), ${lstm:.2g}$ (LSTM), ${gru:.2g}$ (GRU).',
        'Measured in this run at the last step $t = {t}$: $‖∂h_t/∂x_1‖ = {rnn:.2g}$ (RNN), ${lstm:.2g}$ (LSTM), ${gru:.2g}$ (GRU).'),
    "msg.compare_note": ("같은 과제·같은 예산으로 세 셀을 각각 학습합니다 (처음 한 번은 몇 초 걸립니다).",
                         "The three cells are trained on the same task and budget (the first time takes a few "
                         "seconds)."),
    "msg.params": ("{cell}: 매개변수 {n:,}개, 마지막 손실 {loss:.4g}", "{cell}: {n:,} parameters, final loss {loss:.4g}"),
    "msg.no_terms": (
        '$H > 64$이거나 시퀀스가 길면 단계별 항을 행렬로 저장하지 않아 노름만 보입니다 (메모리 한도).',
        'For $H > 64$ or long sequences the per-step terms are kept as norms only (a memory bound).'),
    "msg.bad_model": ("올린 모델을 쓸 수 없습니다: {reason}", "The uploaded model cannot be used: {reason}"),
    "msg.bad_data": ("올린 데이터를 쓸 수 없습니다: {reason}", "The uploaded data cannot be used: {reason}"),
    "msg.model_info": ("{cell}, 입력 {i}, 은닉 {h}, {layers}층{readout}", "{cell}, input {i}, hidden {h}, {layers} layer(s){readout}"),
    "msg.no_step_through_bidirectional": (
        '양방향 RNN은 $h^→_t$를 왼쪽에서 오른쪽으로, $h^←_t$를 오른쪽에서 왼쪽으로 계산하므로 한 방향의 순전파·BPTT 단계 보기는 없습니다. 각 열은 $[h^→_t | h^←_t]$이고 출력 $y_t$는 둘 다 읽습니다.',
        'A bidirectional RNN computes $h^→_t$ left to right and $h^←_t$ right to left, so there is no one-direction forward/BPTT step-through. Each column is $[h^→_t | h^←_t]$ and the output $y_t$ reads both.'),
    "msg.layer_gradients": (
        '같은 가중치에서 1층의 $‖∂L/∂h^{{(1)}}‖$는 맨 위 층({n}층) 값의, 잔차 연결이 있으면 {with_:.3g}배, 없으면 {without:.3g}배입니다.',
        'On the same weights, layer 1\'s $‖∂L/∂h^{{(1)}}‖$ is {with_:.3g} × the top layer\'s (layer {n}) with residual connections, and {without:.3g} × without them.'),
    "msg.layer_gradients_undefined": ('기울기 노름이 0이거나 유한하지 않아 층별 비율을 정의할 수 없습니다.',
                                      'A gradient norm is 0 or not finite: the ratio between layers is undefined.'),
    "msg.eigen_bidirectional": (
        '양방향 모델: 이 화면은 앞 방향의 $W_hh$와 $‖∂h^→_T/∂h^→_k‖$를 보여 줍니다. 뒤 방향은 자신의 $W_hh$를 가지며, $ρ$를 바꾸면 두 방향의 $W_hh$가 함께 바뀝니다.',
        "Bidirectional model: this page shows the forward direction's $W_hh$ and $‖∂h^→_T/∂h^→_k‖$. The backward direction has its own $W_hh$; changing $ρ$ rescales both directions' $W_hh$."),
    "msg.arch_next_step": (
        '양방향 모델은 다음 시점을 예측할 수 없습니다: 뒤 방향이 정답인 $x_{t+1}$을 읽기 때문입니다(자기회귀 모델은 양방향일 수 없음). 목표가 다음 입력이 아닌 과제(복사, 덧셈, 시간 순서, 스파이크)를 고르세요.',
        'A bidirectional model cannot predict the next step: its backward direction reads $x_{t+1}$, which is the answer (an autoregressive model cannot be bidirectional). Choose a task whose target is not the next input (copy, adding, temporal order, spike).'),
    "msg.arch_generate": ('양방향 모델은 생성할 수 없습니다: 뒤 방향이 아직 만들지 않은 출력을 읽어야 합니다.',
                          'A bidirectional model cannot generate: its backward direction would read outputs not yet produced.'),
    "msg.arch_tbptt": ('잘린 BPTT는 시간 순으로만 도는 모델에 쓰입니다. 양방향 모델의 뒤 방향은 시퀀스 전체를 읽으므로 잘린 BPTT 창을 0으로 두세요.',
                       "Truncated BPTT needs a model that runs forward in time; a bidirectional model's backward direction reads the whole sequence. Set the truncated-BPTT window to 0."),
    "msg.arch_residual_layers": ('잔차 연결은 층과 층을 잇습니다: 층이 2개 이상이어야 합니다.',
                                 'Residual connections join layers: they need at least 2 layers.'),
    "msg.compare_unitary": ('uRNN은 RNN의 설정입니다: 여기서 LSTM과 GRU는 직교 $W_hh$ 블록에서 시작하지만 학습 중에 직교로 유지되지는 않습니다.',
                            'uRNN is an RNN setting: here the LSTM and GRU start from orthogonal $W_hh$ blocks, which training does not keep orthogonal.'),
    "msg.arch_unitary_cell": ('유니터리 $W_hh$ (uRNN)는 기본 RNN의 것입니다: LSTM·GRU의 $W_hh$는 여러 게이트 블록을 쌓은 행렬입니다.',
                              "A unitary $W_hh$ (uRNN) is a vanilla RNN's: an LSTM's or GRU's $W_hh$ stacks several gate blocks."),
    "msg.arch_unitary_rho": ('유니터리 $W_hh$는 모든 고유값의 크기가 1이므로 스펙트럼 반경이 1입니다: $ρ$는 0(그대로)이나 1이어야 합니다.',
                             'A unitary $W_hh$ has every $|λ| = 1$, so its spectral radius is 1: $ρ$ must be 0 (as initialised) or 1.'),
    "msg.arch_formula_residual": ("이 식은 층 자신의 입력으로 씁니다. 잔차 연결이 있는 층은 아래층의 입력을 더해 받으므로 첫 층을 고르세요.",
                                  "The formula is written for a layer's own input; a residual layer also receives the layer below's input. Choose the first layer."),
    "msg.arch_ledger_bidirectional": ("장부는 기울기를 한 시간 방향으로 거슬러 따라갑니다. 이 모델은 양방향으로 돕니다.",
                                      "The ledger follows the gradient back through one direction in time; this model runs both ways."),
    "msg.arch_terms_unitary": ("uRNN은 $W_hh$를 매개변수화에서 계산하므로 $W_hh$ 자체는 매개변수가 아닙니다: 시점별 항을 더해 맞춰 볼 기록된 $W_hh$ 기울기가 없습니다.",
                               "A uRNN computes $W_hh$ from its parametrisation, so $W_hh$ is not a parameter: there is no recorded gradient of $W_hh$ to add its per-step terms up to."),
    "msg.arch_terms_not_kept": ("$dL/dW_hh$의 시점별 항 행렬은 H ≤ 64이고 시퀀스가 충분히 짧을 때만 저장합니다.",
                                "The per-step terms of $dL/dW_hh$ are kept only for H ≤ 64 and short enough sequences."),
    "msg.embed_text": ('학습 문장: 매 에폭 새로 만든 16개 문장 (예: `{sample}`), 문자 {vocab}개. 두 모델은 같은 셀, 은닉 상태 16, 같은 배치, Adam 학습률 0.03, 300 에폭.',
                       'Training text: 16 new sentences every epoch (e.g. `{sample}`), {vocab} characters. Both models: the same cell, hidden size 16, the same batches, Adam lr 0.03, 300 epochs.'),
    "msg.embed_result": (
        '학습 후 가장 가까운 벡터가 같은 종류인 문자: 모음 {v}/{nv}, 자음 {c}/{nc}. 평균 거리는 모음끼리 {vin:.2f}, 자음끼리 {cin:.2f}, 모음과 자음 사이 {across:.2f}입니다 (학습 전: {vin0:.2f}, {cin0:.2f}, {across0:.2f}). 매개변수는 $d = {d}$ 표를 쓰면 {pd}개, 원-핫 입력이면 {po}개이고, 마지막 손실은 임베딩 {ld:.3f}, 원-핫 {lo:.3f}입니다.',
        'After training, the nearest vector is of the same kind for {v} of {nv} vowels and {c} of {nc} consonants. Two vowels are on average {vin:.2f} apart, two consonants {cin:.2f}, a vowel and a consonant {across:.2f} (before training: {vin0:.2f}, {cin0:.2f}, {across0:.2f}). Parameters: {pd} with the $d = {d}$ table, {po} with one-hot inputs; final loss {ld:.3f} and {lo:.3f}.'),
    "msg.shape_many_to_one": ('스파이크 과제로 학습한 모델(150 에폭)의 첫 스파이크 시퀀스: 손실은 마지막 출력에서만 들어오고, 그 기울기가 $W_hh$를 거쳐 앞 시점으로 돌아갑니다.',
                              "A model trained on the spike task (150 epochs), on its first sequence with a spike: the loss enters at the last output only, and its gradient goes back to the earlier steps through $W_hh$."),
    "msg.shape_one_to_many": ('아래 다 대 다 모델로 생성한 것입니다: 문자 하나에서 시작해 각 출력(가장 높은 확률의 문자)을 다음 입력으로 넣습니다. 생성은 추론이므로 손실도 기울기도 없습니다; 이 모델은 다 대 다로 학습했습니다.',
                              'Generated by the many-to-many model below: it starts from one character and feeds each output (the most probable character) back as the next input. Generation is inference: no loss and no gradient; the model was trained many-to-many.'),
    "msg.shape_many_to_many": ('문장 전체로 40 에폭 학습한 문자 언어 모델의 처음 시점들: 매 시점 다음 문자를 예측하고 손실을 받으므로, 각 $‖∂L/∂h_t‖$에는 그 시점의 손실과 뒤의 모든 손실에서 온 기울기가 합쳐집니다.',
                               "The first steps of the character LM trained on the whole text for 40 epochs: every step predicts the next character and takes a loss, so each $‖∂L/∂h_t‖$ adds the gradient of its own loss and of every later one."),
    "msg.nnlm_text": ('학습 문장 ({n}개, 예: “{sample}”). 두 모델 모두 같은 문장으로 {epochs} 에폭, Adam 학습률 0.01; RNN의 은닉 상태 {h}, NNLM의 표 $C$는 문자마다 8개 수, 은닉층 {h}.',
                      'Training text ({n} sentences, e.g. “{sample}”). Both models: the same text, {epochs} epochs, Adam lr 0.01; the RNN has hidden size {h}, the NNLM a table $C$ of 8 numbers per character and a hidden layer of {h}.'),
    "msg.nnlm_outside": ('마지막 숫자 다음에 올 문자는 {d}자 앞의 글자입니다. $n = {n}$인 NNLM의 창은 거기에 닿지 않습니다: 그 자리에서 NNLM의 손실은 {a:.2f}, {cell}은 {b:.2f}입니다 (네 글자 중에서 찍으면 $ln 4 = {guess:.2f}$).',
                     'After the last digit the next character is the letter {d} characters back. The NNLM\'s window of $n = {n}$ does not reach it: there the NNLM\'s loss is {a:.2f} and the {cell}\'s is {b:.2f} (a guess among the four letters costs $ln 4 = {guess:.2f}$).'),
    "msg.nnlm_inside": ('마지막 숫자 다음에 올 문자는 {d}자 앞의 글자이고, $n = {n}$인 NNLM의 창은 거기에 닿습니다: 그 자리에서 NNLM의 손실은 {a:.2f}, {cell}은 {b:.2f}입니다 (찍으면 $ln 4 = {guess:.2f}$). 창을 {d}보다 작게 줄여 보세요.',
                    'After the last digit the next character is the letter {d} characters back, and the NNLM\'s window of $n = {n}$ reaches it: there the NNLM\'s loss is {a:.2f} and the {cell}\'s is {b:.2f} (a guess costs $ln 4 = {guess:.2f}$). Make the window smaller than {d}.'),
    "msg.own_models": ('이 화면은 자기 모델을 학습해 그립니다. 시나리오의 결과는 시나리오가 여는 화면에 있습니다.',
                       "This view trains and draws its own models; the scenario's result is on the view the scenario opens."),
    "msg.upload_bidirectional": ("양방향(bidirectional) 모델은 아직 이 화면들에서 볼 수 없습니다. 한 방향 모델을 올려 주세요.",
                                 "Bidirectional models cannot be shown in these views yet; upload a one-direction model."),
    "msg.model_readout": (", 출력층 포함", ", with its readout"),
    "msg.using_model": ("올린 모델을 보고 있습니다 (학습하지 않음). 클리핑·비교·학습 과정 화면은 설정으로 새 모델을 학습합니다.",
                        "Showing the uploaded model (not trained here). The clipping, comparison and timeline views train new models from the settings."),
    "msg.no_chrome": ("Chromium이 없어 PNG·SVG·PDF로 내보낼 수 없습니다 (HTML은 됩니다). 설치: {cmd}",
                      "No Chromium found, so PNG, SVG and PDF export is off (HTML works). Install: {cmd}"),
    "msg.clip_fired": ("클리핑 발동: {n}/{total} 업데이트", "Clipping fired on {n} of {total} updates"),
    # claims: a scenario's result, measured on the run shown (viz_app/text/claims.py picks the sentence that is true)
    "claim.changed": ("이 링크는 시나리오의 설정 중 {fields}을(를) 바꿉니다. 아래 결과는 바뀐 설정으로 측정한 것입니다.",
                      "This link changes the scenario's {fields}; what follows is measured with the changed settings."),
    "claim.not_shown": ("⚠ 이 실행에서는 시나리오가 말하는 효과가 보이지 않습니다:", "⚠ This run does not show the effect the scenario names:"),
    "claim.next_chars_ok": ("{updates}번 업데이트 뒤 모델은 다음 문자를 모두 맞힙니다: “{predicted}” ({correct}/{total}).",
                            "After {updates} updates the model predicts every next character: “{predicted}” ({correct}/{total})."),
    "claim.next_chars_not": ("⚠ {updates}번 업데이트 뒤 모델의 예측은 “{predicted}”, 실제 다음 문자는 “{target}”입니다 ({correct}/{total} 정답).",
                             "⚠ After {updates} updates the model predicts “{predicted}” where the text continues “{target}” ({correct}/{total} right)."),
    "claim.notes_loss": ("에폭 {epochs}의 손실: 이 실행 {ours}, 노트 {notes} (가장 큰 차이 {worst:.2g}배).",
                         "Loss at epochs {epochs}: {ours} in this run, {notes} in the notes (at most {worst:.2g}× apart)."),
    "claim.notes_off": ("⚠ 이 실행은 노트의 손실과 2배 넘게 다릅니다.", "⚠ This run is more than a factor of 2 away from the notes' losses."),
    "claim.decay_faded": (
        '첫 문자가 마지막 상태에 주는 직접 영향은 사라졌습니다: $‖∂h_T/∂h_1‖ / ‖∂h_T/∂h_{{T−1}}‖ = {ratio:.1e}$ ($T = {steps}$).',
        "The first character's direct influence on the last state has faded: $‖∂h_T/∂h_1‖ / ‖∂h_T/∂h_{{T−1}}‖ = {ratio:.1e}$ ($T = {steps}$)."),
    "claim.decay_kept": (
        '첫 문자의 영향은 아직 남아 있습니다: $‖∂h_T/∂h_1‖ / ‖∂h_T/∂h_{{T−1}}‖ = {ratio:.2g}$ ($T = {steps}$).',
        "The first character's influence has not faded: $‖∂h_T/∂h_1‖ / ‖∂h_T/∂h_{{T−1}}‖ = {ratio:.2g}$ ($T = {steps}$)."),
    "claim.vanishing_ok": (
        '$W_hh$는 $ρ = {rho_before:.2f}$ ($σ_max = {sigma_before:.2f}$)에서 시작해 {updates}번 업데이트 뒤 $ρ = {rho_after:.2f}$, $σ_max = {sigma_after:.3f} < 1/γ = {bound:g}$입니다: 기울기 소실이 보장됩니다. 측정값: $‖∂h_T/∂h_1‖ / ‖∂h_T/∂h_{{T−1}}‖ = {ratio:.1e}$.',
        '$W_hh$ started at $ρ = {rho_before:.2f}$ ($σ_max = {sigma_before:.2f}$); after {updates} updates $ρ = {rho_after:.2f}$ and $σ_max = {sigma_after:.3f} < 1/γ = {bound:g}$: vanishing is guaranteed. Measured: $‖∂h_T/∂h_1‖ / ‖∂h_T/∂h_{{T−1}}‖ = {ratio:.1e}$.'),
    "claim.vanishing_not": (
        '⚠ $W_hh$는 $ρ = {rho_before:.2f}$ ($σ_max = {sigma_before:.2f}$)에서 시작했지만 {updates}번 업데이트 뒤 $σ_max = {sigma_after:.3f} ≥ 1/γ = {bound:g}$라서 소실이 더는 보장되지 않습니다. 측정값: $‖∂h_T/∂h_1‖ / ‖∂h_T/∂h_{{T−1}}‖ = {ratio:.1e}$.',
        '⚠ $W_hh$ started at $ρ = {rho_before:.2f}$ ($σ_max = {sigma_before:.2f}$), but after {updates} updates $σ_max = {sigma_after:.3f} ≥ 1/γ = {bound:g}$: vanishing is no longer guaranteed. Measured: $‖∂h_T/∂h_1‖ / ‖∂h_T/∂h_{{T−1}}‖ = {ratio:.1e}$.'),
    "claim.explode_jump": (
        '클리핑 없이: $‖g‖$는 업데이트 0에서 {g_first:.3g}, 업데이트 {u_max}에서 {g_max:.3g}로 {orders:.0f}자릿수 커졌고, 그 대부분이 한 번에 일어났습니다 (업데이트 {rise_at}에서 ×{biggest_rise:.2g}): 한 걸음이 매개변수를 절벽 너머로 보냈습니다. 손실은 {loss_first:.3g}에서 {loss_last:.3g}가 되었습니다.',
        'Without clipping, $‖g‖$ went from {g_first:.3g} at update 0 to {g_max:.3g} at update {u_max}, {orders:.0f} orders of magnitude, most of it in one update (×{biggest_rise:.2g} at update {rise_at}): one step threw the parameters over a cliff. The loss went from {loss_first:.3g} to {loss_last:.3g}.'),
    "claim.explode_gradual": (
        '클리핑 없이: $‖g‖$는 업데이트 0의 {g_first:.3g}에서 업데이트 {u_max}의 {g_max:.3g}까지 {orders:.1f}자릿수 커졌습니다. 손실은 {loss_first:.3g}에서 {loss_last:.3g}가 되었습니다.',
        'Without clipping, $‖g‖$ grew from {g_first:.3g} at update 0 to {g_max:.3g} at update {u_max}, {orders:.1f} orders of magnitude. The loss went from {loss_first:.3g} to {loss_last:.3g}.'),
    "claim.explode_nan": ("업데이트 {diverged_at}에서 NaN/Inf가 되어 학습이 멈췄습니다.", "Training stopped at update {diverged_at} on NaN/Inf."),
    "claim.clip_result": (
        '임계값 {threshold:g}의 클리핑은 {clipped_updates}번 중 {fired}번 발동했고, 적용된 $‖g‖$는 최대 {applied_max:.3g}, 손실은 {clip_loss_first:.3g}에서 {clip_loss_last:.3g}가 되었습니다.',
        'With clipping at {threshold:g}, clipping fired on {fired} of {clipped_updates} updates, no applied $‖g‖$ exceeded {applied_max:.3g}, and the loss went from {clip_loss_first:.3g} to {clip_loss_last:.3g}.'),
    "claim.cliff": (
        '벽 바로 옆에서 시작한 경사 하강의 가장 큰 걸음은 $(w, b)$를 {plain_step:.3g}만큼 옮겼습니다. $‖g‖ ≤ {clip:g}$로 클리핑하면 ($η = {lr:g}$) 어떤 걸음도 {bound:.2g}를 넘지 않습니다 (가장 큰 걸음 {clipped_step:.2g}).',
        "From a point beside the wall, plain gradient descent's largest step moved $(w, b)$ by {plain_step:.3g}. Clipped at $‖g‖ ≤ {clip:g}$ ($η = {lr:g}$), no step is longer than {bound:.2g} (largest {clipped_step:.2g})."),
    "claim.truncated": (
        '각 창의 마지막 시점 ($t$ = {edges})에서 잘린 $∂L/∂h_t$는 그 시점의 출력에서 온 부분과 정확히 같습니다 (최대 차이 {cut:.1g}). 전체 BPTT에서는 같은 시점에 뒤에서 최소 {carried:.2g}가 더 들어옵니다.',
        "At the last step of each window ($t$ = {edges}) the truncated $∂L/∂h_t$ equals the part from that step's own output exactly (largest difference {cut:.1g}); full BPTT brings at least {carried:.2g} more there from later steps."),
    "claim.irnn_start": (
        '초기화 직후 ($W_hh = I$) $T = {steps}$ 시점에서 $‖∂h_T/∂h_1‖ = {norm:.3g}$: 줄어들지 않습니다.',
        'As initialised ($W_hh = I$), $‖∂h_T/∂h_1‖ = {norm:.3g}$ over $T = {steps}$ steps: no decay.'),
    "claim.irnn_start_decayed": (
        '초기화 직후에도 $T = {steps}$ 시점에서 $‖∂h_T/∂h_1‖ = {norm:.3g}$로 줄어듭니다 (꺼진 ReLU 유닛).',
        'As initialised, $‖∂h_T/∂h_1‖ = {norm:.3g}$ over $T = {steps}$ steps: it decays already (ReLU units that are off).'),
    "claim.irnn_fit": ("{updates}번 업데이트 뒤 평가 배치의 손실은 {loss:.3g}로, 평균을 예측하는 모델 ({baseline:.3g})보다 {factor:.1f}배 낮습니다.",
                       "After {updates} updates the loss on the evaluation batch is {loss:.3g}, {factor:.1f}× below predicting the mean ({baseline:.3g})."),
    "claim.irnn_no_fit": ("{updates}번 업데이트 뒤 평가 배치의 손실은 {loss:.3g}, 평균을 예측하면 {baseline:.3g}입니다: 3배 이상 낫지 않습니다.",
                          "After {updates} updates the loss on the evaluation batch is {loss:.3g}; predicting the mean gives {baseline:.3g}: not 3× better."),
    "claim.copy": (
        '평가 배치의 손실: LSTM {l_loss:.3f}, RNN {r_loss:.3f}, 기억 없는 기준 $3 ln 4 / T = {baseline:.3f}$. 되풀이한 기호의 정답률: LSTM {l_recall:.0%}, RNN {r_recall:.0%} (찍으면 {chance:.0%}).',
        'Loss on the evaluation batch: LSTM {l_loss:.3f}, RNN {r_loss:.3f}, memoryless baseline $3 ln 4 / T = {baseline:.3f}$. Symbols recalled: LSTM {l_recall:.0%}, RNN {r_recall:.0%} (chance {chance:.0%}).'),
    "claim.gru_lstm": ("매개변수: GRU {n_gru:,}개, LSTM {n_lstm:,}개 (비율 {ratio:.2f}). 학습 손실이 {thr:g} 아래로 내려간 업데이트: GRU {reach_gru}, LSTM {reach_lstm}. 마지막 손실: GRU {l_gru:.3g}, LSTM {l_lstm:.3g}.",
                       "Parameters: GRU {n_gru:,}, LSTM {n_lstm:,} (ratio {ratio:.2f}). The training loss fell below {thr:g} at update {reach_gru} (GRU) and {reach_lstm} (LSTM); final loss GRU {l_gru:.3g}, LSTM {l_lstm:.3g}."),
    "claim.never": ("없음", "never"),
    "claim.similar": ("비슷합니다: 느린 쪽도 빠른 쪽의 {factor:.2g}배 업데이트 안에 도달했습니다.", "Similar: the slower one needed {factor:.2g}× the updates of the faster one."),
    "claim.not_similar": ("⚠ 이 실행에서는 비슷하다고 할 수 없습니다 ({factor:.2g}배 차이).", "⚠ Not similar in this run ({factor:.2g}× apart)."),
    "claim.terms_every_step": (
        "이 실행은 모든 시점에 손실이 있어서, 시점 $k$의 항에는 그 시점 출력의 기울기도 새로 들어갑니다: 항이 거리에 따라 줄어든다는 보장이 없습니다. 강의의 $T_3 + T_2 + T_1$ 그림 (손실이 마지막 시점에만 있음)은 시나리오 'BPTT의 항'에서 볼 수 있습니다.",
        "Every step of this run has a loss of its own, so the term of step $k$ also receives that step's own output gradient: nothing makes the terms shrink with distance. The lecture's $T_3 + T_2 + T_1$ picture (a loss at the last step only) is the scenario 'BPTT's terms'."),
    "claim.terms": (
        '손실이 마지막 시점에만 있으므로, 마지막 시점부터 거꾸로 항의 노름 $‖T_k‖$ = {seq}, 시점 1에서 {first:.2g} ({factor:.0f}배 작음): 한 시점 멀어질 때마다 $∂h_{{j+1}}/∂h_j$가 하나 더 곱해집니다. 시점 0의 항은 $h_{{−1}} = 0$이라 0입니다.',
        "With the loss at the last step only, the term norms $‖T_k‖$ from the last step back are {seq}, down to {first:.2g} at step 1 ({factor:.0f}× smaller): each step further back multiplies by one more $∂h_{{j+1}}/∂h_j$. Step 0's term is 0, as $h_{{−1}} = 0$."),
    "claim.terms_not": ("⚠ 이 실행에서는 항의 노름이 거리에 따라 꾸준히 줄지 않습니다.", "⚠ In this run the term norms do not fall steadily with distance."),
    # figure titles
    "fig.embed_map": ("학습된 문자 벡터 (d = {d}): 첫 두 주성분 (분산의 {a:.0f}% + {b:.0f}%)",
                      "Learned character vectors (d = {d}): first two principal components ({a:.0f}% + {b:.0f}% of the variance)"),
    "fig.embed_map_1d": ("학습된 문자 벡터 (d = 1: 하나의 수)", "Learned character vectors (d = 1: one number each)"),
    "fig.embed_curves": ("학습 손실 (매 에폭 새 문장)", "Training loss (new sentences every epoch)"),
    "leg.vowels": ("모음", "vowels"),
    "leg.consonants": ("자음", "consonants"),
    "leg.space": ("공백", "space"),
    "leg.nearest": ("가장 가까운 문자", "nearest"),
    "leg.one_hot": ("원-핫 입력 ({n}개 매개변수)", "one-hot inputs ({n} parameters)"),
    "leg.embedding": ("임베딩 d = {d} ({n}개 매개변수)", "embedding d = {d} ({n} parameters)"),
    "ctl.embed_dim": ("임베딩 차원 d", "Embedding dimension d"),
    "cap.embed": ("{cell} H=16 · nn.Embedding d={d} 대 원-핫 입력 · 자음+모음 음절 문장, 매 에폭 새 배치 16개 · 각각 Adam 학습률 0.03, 에폭 300 · 시드 {seed}",
                  "{cell} H=16 · nn.Embedding d={d} vs one-hot inputs · consonant+vowel syllable sentences, 16 new every epoch · each Adam lr=0.03, 300 epochs · seed {seed}"),
    "leg.class_normal": ("정상", "normal"),
    "leg.class_spike": ("스파이크", "spike"),
    "fig.shape_many_to_one": ("다 대 일: 센서 신호 → 정상/스파이크 (마지막 시점에만 손실)", "Many-to-one: a sensor series → normal / spike (a loss at the last step only)"),
    "fig.shape_one_to_many": ("일 대 다: 첫 문자 하나에서 생성 (출력이 다음 입력; 손실·기울기 없음)", "One-to-many: generating from one character (each output is the next input; no loss, no gradient)"),
    "fig.shape_many_to_many": ("다 대 다: 문자 언어 모델 (매 시점 손실)", "Many-to-many: the character LM (a loss at every step)"),
    "fig.nnlm_positions": ("문장 안 위치별 손실 (모든 문장 평균)", "Loss at each place in a sentence (mean over the sentences)"),
    "fig.nnlm_curves": ("학습 손실", "Training loss"),
    "fig.nnlm_out_of_window": ("{d}자 앞 > 창 n = {n}", "{d} back > window n = {n}"),
    "leg.nnlm": ("NNLM (n = {n})", "NNLM (n = {n})"),
    "leg.guess": ("찍기: ln 4", "a guess: ln 4"),
    "axis.position": ("위치: 입력 → 예측할 문자", "position: input → character to predict"),
    "axis.loss_nats": ("손실 (nats)", "loss (nats)"),
    "axis.epoch": ("에폭", "epoch"),
    "ctl.window": ("NNLM의 창 n (앞의 문자 수)", "NNLM window n (characters seen)"),
    "ctl.gap": ("카운트다운 길이 (글자는 길이 + 1자 앞)", "Countdown length (the letter is length + 1 back)"),
    "fig.unrolled_bidirectional": ("펼친 양방향 RNN: x_t → [h→_t | h←_t] → y_t (방향마다 W_xh, W_hh 공유)",
                                   "Unrolled bidirectional RNN: x_t → [h→_t | h←_t] → y_t (each direction shares its W_xh, W_hh)"),
    "fig.unrolled": ("펼친 RNN: x_t → h_t → y_t (모든 시점이 W_xh, W_hh, W_hy를 공유)",
                     "Unrolled RNN: x_t → h_t → y_t (every step shares W_xh, W_hh, W_hy)"),
    "fig.unrolled_bptt": ("BPTT: 시점 {t}까지 거꾸로 전달된 기울기 ‖∂L/∂h_t‖",
                          "BPTT: gradient ‖∂L/∂h_t‖ sent back to step {t}"),
    "fig.live_loss": ("학습 중인 손실 (실시간)", "Loss while training (live)"),
    "fig.unrolled_fwd": ("순전파: 시점 {t}까지 계산", "Forward pass: computed up to step {t}"),
    "fig.heatmap": ("{name}: 유닛 × 시점", "{name}: unit × time"),
    # the name of each recorded quantity (``quantity_name``: with its symbol)
    "gate.h": ("은닉 상태", "hidden state"),
    "gate.c": ("셀 상태", "cell state"),
    "gate.i": ("입력 게이트", "input gate"),
    "gate.f": ("망각 게이트", "forget gate"),
    "gate.g": ("후보 셀 상태", "candidate cell state"),
    "gate.o": ("출력 게이트", "output gate"),
    "gate.r": ("리셋 게이트", "reset gate"),
    "gate.z": ("업데이트 게이트", "update gate"),
    "gate.n": ("후보 은닉 상태", "candidate hidden state"),
    "fig.saturation": ("게이트 포화: 0.1 미만 / 0.9 초과인 비율", "Gate saturation: fraction < 0.1 / > 0.9"),
    "fig.pca": ("h_t의 궤적 (PCA, 설명된 분산 {var:.0%})", "Trajectory of h_t (PCA, {var:.0%} of variance)"),
    "fig.text_color": ("유닛 {unit}의 활성값으로 칠한 입력 문장", "Input text coloured by unit {unit}'s activation"),
    "fig.grad_norm_t": ("시점별 기울기 ‖∂L/∂h_t‖", "Gradient ‖∂L/∂h_t‖ per step"),
    "fig.jacobian_map": ("‖∂h_t/∂h_k‖₂ (k ≤ t)", "‖∂h_t/∂h_k‖₂ (k ≤ t)"),
    "fig.jacobian_map_forward": ("앞 방향 ‖∂h→_t/∂h→_k‖₂ (k ≤ t)", "Forward direction ‖∂h→_t/∂h→_k‖₂ (k ≤ t)"),
    "fig.jacobian_map_reverse": ("뒤 방향 ‖∂h←_t/∂h←_k‖₂ (k ≥ t: 뒤의 상태에서 옴)",
                                 "Backward direction ‖∂h←_t/∂h←_k‖₂ (k ≥ t: from the later states)"),
    "fig.layer_gradients": ("층별 ‖∂L/∂h⁽ˡ⁾‖ (모든 시점·시퀀스·유닛): 같은 가중치, 잔차 연결 있음/없음",
                            "‖∂L/∂h⁽ˡ⁾‖ by layer (all steps, sequences, units), same weights: with / without residual connections"),
    "leg.with_residual": ("잔차 연결 있음", "with residual connections"),
    "leg.without_residual": ("잔차 연결 없음", "without residual connections"),
    "leg.as_trained": ("(학습한 모델)", "(as trained)"),
    "axis.layer": ("층 l", "layer l"),
    "axis.layer_grad": ("‖∂L/∂h⁽ˡ⁾‖", "‖∂L/∂h⁽ˡ⁾‖"),
    "fig.cell_jacobian_map_forward": ("앞 방향 셀 상태 ‖∂c→_t/∂c→_k‖₂", "Forward direction cell state ‖∂c→_t/∂c→_k‖₂"),
    "fig.cell_jacobian_map": ("셀 상태 ‖∂c_t/∂c_k‖₂ (상수 오차 회전목마)", "Cell state ‖∂c_t/∂c_k‖₂ (constant error carousel)"),
    "fig.terms": ("∂L/∂W_hh = Σ_k (시점 k의 항): 전체 방향으로의 기여", "∂L/∂W_hh = Σ_k (term of step k): contribution along the total"),
    "fig.derivs": ("시점별 f′(a_t) 분포 (곱해질수록 작아짐)", "Distribution of f′(a_t) per step (their product shrinks)"),
    "fig.eigs": ("{name}의 고유값 (복소평면)", "Eigenvalues of {name} (complex plane)"),
    "fig.decay": ("‖∂h_T/∂h_k‖ 대 T−k", "‖∂h_T/∂h_k‖ against T−k"),
    "fig.clip_norms": ("업데이트별 기울기 노름 ‖g‖", "Gradient norm ‖g‖ per update"),
    "fig.clip_loss": ("손실 곡선", "Loss curves"),
    "fig.cliff": ("Pascanu 외(2013): 단일 유닛 RNN 손실의 절벽", "Pascanu et al. (2013): the loss cliff of a one-unit RNN"),
    "fig.cliff_map": ("손실 E(w, b)와 경사 하강 경로", "loss E(w, b) and gradient-descent paths"),
    "fig.cliff_slice": ("절벽을 가로지른 단면 (w = {w:.3g})", "a slice across the wall (w = {w:.3g})"),
    "fig.sensitivity": ("입력 x_1에 대한 민감도 ‖∂h_t/∂x_1‖", "Sensitivity to the first input ‖∂h_t/∂x_1‖"),
    "fig.timeline_eigs": ("학습 중 W_hh 고유값의 이동", "W_hh's eigenvalues moving during training"),
    "fig.timeline_loss": ("손실과 현재 학습 단계", "Loss and the current snapshot"),
    "fig.timeline_grad": ("이 학습 단계의 ‖∂L/∂h_t‖", "‖∂L/∂h_t‖ at this snapshot"),
    # export captions (one line under a slide: what the figure is drawn from)
    "cap.nnlm": ("NNLM n={n} (C: 8, 은닉 {h}) 대 {cell} H={h} · 글자·카운트다운 {gap}·글자 문장 {sentences}개 · 각각 Adam 학습률 0.01, 에폭 {epochs} · 시드 {seed}",
                 "NNLM n={n} (C: 8, hidden {h}) vs {cell} H={h} · {sentences} sentences letter, countdown of {gap}, letter · each Adam lr=0.01, {epochs} epochs · seed {seed}"),
    "cap.layers": ("{n}층", "L={n}"),
    "cap.bidirectional": ("양방향", "bidirectional"),
    "cap.residual": ("잔차 연결", "residual"),
    "cap.init": ("초기화: {init}", "init: {init}"),
    "cap.task": ("과제: {task}", "task: {task}"),
    "cap.loss": ("손실: {loss}, {reduce}", "loss: {loss}, {reduce}"),
    "cap.training": ("{opt} 학습률 {lr:g}, 에폭 {n}", "{opt} lr={lr:g}, {n} epochs"),
    "cap.paused": ("{opt} 학습률 {lr:g}, 에폭 {n} 중 {at}에서 멈춤", "{opt} lr={lr:g}, paused at epoch {at} of {n}"),
    "cap.no_clip": ("클리핑 없음", "no clipping"),
    "cap.clip": ("클리핑: {mode} {thr:g}", "clipping: {mode} at {thr:g}"),
    "cap.clip_pair": ("클리핑 없음 대 노름 기준 {thr:g} 클리핑", "no clipping vs clipping by norm at {thr:g}"),
    "cap.tbptt": ("잘린 BPTT k={k}", "truncated BPTT k={k}"),
    "cap.full_bptt": ("전체 BPTT", "full BPTT"),
    "cap.seed": ("시드 {seed}", "seed {seed}"),
    "cap.cliff": ("Pascanu 외(2013)의 단일 유닛 RNN: x_t = w σ(x_{{t−1}}) + b, x_0 = 0.5, {steps}단계, E = (σ(x_{steps}) − 0.7)²; "
                  "경사 하강 학습률 {lr:g}, 클리핑 임계값 {clip:g}",
                  "Pascanu et al. (2013)'s one-unit RNN: x_t = w σ(x_{{t−1}}) + b, x_0 = 0.5, {steps} steps, "
                  "E = (σ(x_{steps}) − 0.7)²; gradient descent lr={lr:g}, clipping at {clip:g}"),
    # axes and legends
    "axis.t": ("시점 t", "time step t"),
    "axis.k": ("시점 k", "step k"),
    "axis.unit": ("유닛", "unit"),
    "axis.lag": ("시간 간격 T−k", "lag T−k"),
    "axis.norm": ("노름", "norm"),
    "axis.update": ("업데이트", "update"),
    "axis.loss": ("손실", "loss"),
    "axis.re": ("실수부", "real part"),
    "axis.im": ("허수부", "imaginary part"),
    "axis.fraction": ("비율", "fraction"),
    "axis.deriv": ("f′(a_t)", "f′(a_t)"),
    "axis.contribution": ("기여", "contribution"),
    "axis.pc": ("주성분 {i}", "PC {i}"),
    "leg.total": ("전체 ∂L/∂h_t", "total ∂L/∂h_t"),
    "leg.direct": ("그 시점의 출력에서 온 부분", "direct part from step t's output"),
    "leg.truncated": ("단기 BPTT (창 {k})", "truncated BPTT (window {k})"),
    "leg.unit_circle": ("단위원 |λ| = 1", "unit circle |λ| = 1"),
    "leg.gamma_circle": ("1/γ 원", "1/γ circle"),
    "leg.measured": ("측정값", "measured"),
    "leg.rho_line": ("ρ^(T−k)", "ρ^(T−k)"),
    "leg.pascanu": ("Pascanu 상한 (γ σ_max)^(T−k)", "Pascanu bound (γ σ_max)^(T−k)"),
    "leg.threshold": ("임계값", "threshold"),
    "leg.fired": ("클리핑 발동", "clipping fired"),
    "leg.no_clip": ("클리핑 없음", "no clipping"),
    "leg.with_clip": ("클리핑 (임계값 {thr:g})", "clipping (threshold {thr:g})"),
    "leg.nonfinite": ("NaN/Inf 발생", "NaN/Inf here"),
    "leg.low": ("< 0.1", "< 0.1"),
    "leg.high": ("> 0.9", "> 0.9"),
    "leg.wall": ("절벽 위치", "cliff wall"),
    "leg.term_norm": ("‖k번째 항‖", "‖term k‖"),
    "leg.thrown": ("{step}번째 걸음에 (w, b) = ({w:.3g}, {b:.3g})로 튕겨 나감", "step {step} lands at (w, b) = ({w:.3g}, {b:.3g})"),
    "leg.start": ("시작점", "start"),
    "leg.slice": ("w = {w:.3g}에서의 E", "E at w = {w:.3g}"),
    "leg.snapshot": ("현재 학습 단계", "this snapshot"),
    "leg.reference": ("강의 노트의 값", "the lecture notes' values"),
    # explanations (2-4 sentences per view)
    "exp.unroll": (
        "순환 신경망은 매 시점 같은 가중치로 위의 식을 계산합니다: 새 상태 $h_t$는 입력 $x_t$와 이전 상태 $h_{t-1}$에서 나오고, 출력 $ŷ_t$는 $h_t$에서 읽습니다. 펼쳐 그리면 시점마다 복사된 층처럼 보이지만 $W_xh$, $W_hh$, $W_hy$는 하나뿐입니다. '단계별 보기'로 순전파를 왼쪽에서 오른쪽으로, 이어서 BPTT를 오른쪽에서 왼쪽으로 따라가 보세요.",
        "A recurrent network computes the equations above at every step with the same weights: the new state $h_t$ comes from the input $x_t$ and the previous state $h_{t-1}$, and the output $ŷ_t$ is read from $h_t$. Unrolled, it looks like one layer per step, but there is only one $W_xh$, one $W_hh$ and one $W_hy$. Use 'Step through' to follow the forward pass left to right, then BPTT right to left."),
    "formula.title": ("이 시점의 식, 모델의 실제 값으로", "This step's equations, with the model's own numbers"),
    "formula.about": (
        "시점 {t}, 유닛 {j}{layer}: 각 곱은 모델의 가중치 × 기록된 값입니다. 곱이 가장 큰 항 {shown}개를 보이고 나머지는 "
        "합 하나로 묶었습니다. 주황은 입력 쪽($W_x$), 파랑은 순환 쪽($W_h$, 펼친 그림의 $W_hh$)입니다. 편향 b는 PyTorch처럼 "
        "두 개($b_{{ih}}$, $b_{{hh}}$)이고, 노트의 $b_h$는 그 합입니다.",
        "Step {t}, unit {j}{layer}: each product is one of the model's weights times a recorded value. The {shown} "
        "largest products are shown, the others summed into one number. Orange is the input side ($W_x$), blue the "
        "recurrent side ($W_h$, the unrolled picture's $W_hh$). The bias comes in two parts as in torch "
        "($b_{{ih}}$, $b_{{hh}}$); the notes' $b_h$ is their sum."),
    "formula.layer": ("({layer}층)", " (layer {layer})"),
    "formula.check": (
        "이 식으로 다시 계산한 값은 기록된 값과 {err:.0e} 이내로 같습니다 (32비트 부동소수점의 반올림).",
        "Recomputed from these sums, every value equals the recorded one to within {err:.0e} (float32 rounding)."),
    "formula.expand": ("모든 곱을 펼칠 게이트", "Gate whose products are written out"),
    "formula.note_gru": (
        "PyTorch의 GRU: 리셋 게이트 r은 $W_hn h_{t-1} + b_hn$ 전체에 곱해집니다. 노트(조경현 등)의 식은 $W_hn (r ⊙ h_{t-1})$로 "
        "r을 곱셈 안에 둡니다. 갱신 게이트 z도 PyTorch는 이전 상태 쪽에 씁니다: $h_t = (1 - z) n + z h_{t-1}$.",
        "torch's GRU: the reset gate r multiplies all of $W_hn h_{t-1} + b_hn$. The notes (Cho et al.) write "
        "$W_hn (r ⊙ h_{t-1})$, r inside the product. torch also puts the update gate z on the old state: "
        "$h_t = (1 - z) n + z h_{t-1}$."),
    "formula.bidirectional": ("양방향 모델: 정방향(→)의 식입니다.", "A bidirectional model: the forward direction's (→) equations."),
    "formula.click": ("펼친 그림이나 상태 히트맵의 칸을 누르면 그 시점과 유닛의 식이 나옵니다.",
                      "Click a cell of the unrolled network or of the state heatmap for that step's and unit's equations."),
    "formula.backward": (
        "유닛 {j}는 역방향(←) 절반에 있습니다. 이 식은 정방향(→)의 유닛 0…{last}에 대해 씁니다.",
        "This unit is unit {j} of the backward half (←); these equations are written for the forward direction's "
        "units 0…{last}."),
    "formula.readout": ("출력: 시점 {t}의 소프트맥스에서 확률이 가장 큰 문자들", "Output: the most probable characters of step {t}'s softmax"),
    "ledger.title": ("기울기 하나의 장부: 시점 {k}에서 마지막 시점 {last}까지", "The ledger of one gradient: from step {k} to the last step {last}"),
    "ledger.about": (
        "시퀀스 0, 유닛 {j}. 전달 부분은 다음 시점의 야코비안으로 여기서 따로 계산했고, 직접 부분과 더하면 기록된 기울기가 "
        "됩니다. 사슬의 크기 $‖∂h_T/∂h_k‖$는 각 인수의 노름을 곱한 값보다 클 수 없습니다 (곱의 노름 ≤ 노름의 곱){bound}",
        "Sequence 0, unit {j}. The carried part is computed here from the next step's Jacobian; with the direct part it "
        "adds up to the recorded gradient. The chain's size $‖∂h_T/∂h_k‖$ cannot exceed the product of its factors' "
        "norms (the norm of a product is at most the product of the norms){bound}"),
    "ledger.bound": (", 그 곱은 파스카누의 한계 $(γ σ_max)^(T-k)$를 넘을 수 없습니다.",
                     ", and that product cannot exceed Pascanu's bound $(γ σ_max)^(T-k)$."),
    "ledger.no_bound": (". 게이트가 있는 셀에서는 $W_hh$만으로 정해지는 한계가 없습니다.",
                        ". A gated cell has no bound from $W_hh$ alone."),
    "ledger.carousel": (
        "LSTM의 컨베이어 벨트: 셀 상태만 따라가는 경로 $c_k → c_T$의 기울기는 망각 게이트 값의 곱입니다.",
        "The LSTM's carousel: along the cells alone, the path $c_k → c_T$ carries the product of the forget gates."),
    "ledger.terms": (
        "$W_hh$의 기울기 한 성분을 시점별 항의 합으로 (노트의 $T_3 + T_2 + T_1$, 손실에서 거꾸로): 항 $T_k$는 시점 k에서 "
        "$W_hh$를 쓴 몫입니다. 합은 기록된 기울기와 같습니다.",
        "One entry of $W_hh$'s gradient as the sum of its per-step terms (the notes' $T_3 + T_2 + T_1$, from the loss "
        "back): term $T_k$ is the share of $W_hh$'s use at step k. The sum is the recorded gradient."),
    "ctl.predict": ("예측한 뒤 공개", "Predict, then reveal"),
    "ctl.predict_help": ("질문이 있는 화면(BPTT, 고유값, 학습 과정)은 측정값을 숨기고 질문을 먼저 냅니다. 학생들이 숫자를 적어 내면 '공개'로 그래프와 함께 보여 줍니다.",
                         "A view with a question (BPTT, eigenvalues, training timeline) hides what it measures and asks first; the class writes a number down, and Reveal shows it on the chart beside the run's own."),
    "predict.title": ("먼저 예측하세요", "Predict first"),
    "predict.q_bptt": ("이 실행에서 마지막 시점의 기울기 중 시점 0까지 남는 비율, $‖∂L/∂h_0‖ / ‖∂L/∂h_T‖$는 얼마일까요?",
                       "In this run, how much of the last step's gradient is left at step 0: $‖∂L/∂h_0‖ / ‖∂L/∂h_T‖$?"),
    "predict.q_eigen": ("학습된 가중치에서 시퀀스 전체를 건너는 야코비안의 크기 $‖∂h_T/∂h_0‖$는 얼마일까요?",
                        "With the trained weights, how large is the Jacobian across the whole sequence, $‖∂h_T/∂h_0‖$?"),
    "predict.q_timeline": ("마지막 업데이트 뒤의 손실은 얼마일까요?", "What is the loss after the last update?"),
    "predict.label": ("예측값 (예: 0.01, 1e-3, 1/1000)", "Your prediction (e.g. 0.01, 1e-3, 1/1000)"),
    "predict.pad": ("예상하는 곡선을 그리세요: 점을 누르면 곡선이 이어집니다 (값은 점선에서 읽습니다)",
                    "Sketch the curve you expect: click points and they are joined (the value is read at the dotted line)"),
    "predict.sketch": ("예측한 곡선", "your sketch"),
    "predict.sketched": ("그린 곡선이 점선에서 주는 예측값: {value:.3g}. 아래에 숫자를 적으면 그 숫자가 예측이 됩니다.",
                         "Your sketch gives {value:.3g} at the dotted line. A number typed below replaces it."),
    "predict.how": ("곡선을 그리거나 아래에 숫자를 적은 뒤 공개를 누르세요.",
                    "Sketch the curve, or type a number below, then press Reveal."),
    "predict.clear": ("그린 곡선 지우기", "Clear the sketch"),
    "predict.y_bptt": ("‖∂L/∂h<sub>k</sub>‖ / ‖∂L/∂h<sub>T</sub>‖", "‖∂L/∂h<sub>k</sub>‖ / ‖∂L/∂h<sub>T</sub>‖"),
    "predict.y_eigen": ("‖∂h<sub>T</sub>/∂h<sub>k</sub>‖", "‖∂h<sub>T</sub>/∂h<sub>k</sub>‖"),
    "predict.reveal": ("공개", "Reveal"),
    "predict.bad": ("곡선을 그리거나 양수 하나를 적어 주세요 (예: 0.01, 1e-3, 1/1000).",
                    "Sketch the curve, or type one positive number (e.g. 0.01, 1e-3, 1/1000)."),
    "predict.result": ("{q} 예측 {guess:.3g}, 측정 {truth:.3g}: 예측이 {factor:.3g}배 {side}.",
                       "{q} Predicted {guess:.3g}, measured {truth:.3g}: the prediction was {factor:.3g}× too {side}."),
    "predict.close": ("{q} 예측 {guess:.3g}, 측정 {truth:.3g}: 5% 안으로 맞혔습니다.",
                      "{q} Predicted {guess:.3g}, measured {truth:.3g}: within 5%."),
    "predict.high": ("컸습니다", "high"),
    "predict.low": ("작았습니다", "low"),
    "predict.again": ("다시 예측하기", "Predict again"),
    "predict.legend": ("예측", "prediction"),
    "deck.settings": ("강의 순서 (링크 모음)", "Lecture deck (a list of links)"),
    "deck.file": ("강의 순서 파일 (JSON)", "Deck file (JSON)"),
    "deck.lines": ("또는 한 줄에 하나씩: 제목 | 링크 | 메모", "Or one entry per line: title | link | note"),
    "deck.load": ("불러오기", "Load"),
    "deck.milestones": ("메모 안의 \\[글\\]\\(?view=bptt&step=5\\)는 앱의 그 화면을 여는 링크가 됩니다.",
                        "In a note, \\[text\\]\\(?view=bptt&step=5\\) becomes a link that opens that page of the app."),
    "deck.entry_title": ("지금 화면의 제목", "Title of the page on screen"),
    "deck.add": ("지금 화면을 순서에 추가", "Add this page to the deck"),
    "deck.loaded": ("순서에 {n}개 항목이 있습니다. 화면 위의 ◀ ▶ 버튼이나 프레젠터의 PageUp/PageDown으로 넘깁니다.",
                    "The deck has {n} entries. Move through them with ◀ ▶ above the view or a clicker's PageUp / PageDown."),
    "deck.download": ("순서 파일 내려받기 (JSON)", "Download the deck (JSON)"),
    "deck.handout_format": ("유인물 형식", "Handout format"),
    "deck.handout": ("유인물 만들기 (항목마다 한 쪽)", "Make the handout (a page per entry)"),
    "deck.handout_save": ("유인물 내려받기 ({fmt})", "Download the handout ({fmt})"),
    "deck.clear": ("순서 지우기", "Clear the deck"),
    "deck.prev": ("이전 항목 (PageUp)", "Previous entry (PageUp)"),
    "deck.next": ("다음 항목 (PageDown)", "Next entry (PageDown)"),
    "deck.ready": ("강의 순서 {n}개 항목: ▶ 또는 PageDown으로 시작합니다.", "A deck of {n} entries: ▶ or PageDown starts it."),
    "deck.err_size": ("순서 파일이 너무 큽니다 (최대 {max} KB).", "The deck file is too large (at most {max} KB)."),
    "deck.err_empty": ("순서에 항목이 없습니다.", "The deck has no entries."),
    "deck.err_json": ("JSON을 읽을 수 없습니다 ({line}번째 줄).", "The JSON cannot be read (line {line})."),
    "deck.err_shape": ('JSON은 {"title": ..., "entries": [...]} 또는 항목의 목록이어야 합니다.',
                       'The JSON must be {"title": ..., "entries": [...]} or a list of entries.'),
    "deck.err_field": ("{entry}번째 항목: 제목, 링크, 메모는 글자여야 합니다.", "Entry {entry}: title, link and note must be text."),
    "deck.err_title": ("{entry}번째 항목: 제목이 없거나 {max}자보다 깁니다.", "Entry {entry}: the title is missing or longer than {max} characters."),
    "deck.err_note": ("{entry}번째 항목: 메모가 {max}자보다 깁니다.", "Entry {entry}: the note is longer than {max} characters."),
    "deck.err_link": ("{entry}번째 항목: 링크가 없거나 {max}자보다 깁니다.", "Entry {entry}: the link is missing or longer than {max} characters."),
    "deck.err_line": ("{entry}번째 줄: '제목 | 링크 | 메모' 모양이어야 합니다.", "Line {entry}: it must read 'title | link | note'."),
    "deck.err_url": ("링크에 담기에는 순서가 너무 깁니다 (압축해서 {max}자까지): 항목이나 메모를 줄이세요.",
                     "The deck is too long for a link ({max} characters compressed): fewer entries or shorter notes."),
    "deck.err_encoding": ("링크의 순서를 읽을 수 없습니다.", "The link's deck cannot be read."),
    "deck.err_count": ("항목은 {max}개까지입니다.", "At most {max} entries."),
    "exp.embed": (
        "원-핫 입력에서 $W_xh x_t$는 $W_xh$의 한 열을 고르는 일이므로 입력 가중치가 이미 문자마다 한 열씩의 표입니다. nn.Embedding은 문자를 $V × d$ 표 $E$에서 찾아 $d$개의 수만 RNN에 넘깁니다: 매개변수가 줄고, 글에서 같은 역할을 하는 문자들이 가까운 벡터를 가질 수 있습니다. 글은 자음+모음 음절로 된 무작위 단어들이고 에폭마다 새 문장이므로, 모델은 글을 외울 수 없고 규칙(자음 뒤에는 모음, 모음 뒤에는 자음이나 공백)만 배울 수 있습니다.",
        "With one-hot inputs $W_xh x_t$ picks a column of $W_xh$: the input weights already are a table with a column per character. nn.Embedding looks the character up in a $V × d$ table $E$ and passes only $d$ numbers to the RNN: fewer parameters, and characters that play the same part in the text can get nearby vectors. The text is random words of consonant+vowel syllables, new sentences every epoch, so a model cannot memorise it, only learn its rule (after a consonant a vowel; after a vowel a consonant or a space)."),
    "exp.shapes": (
        "같은 순환 신경망도 입력과 출력을 어디에 두느냐에 따라 쓰임이 달라집니다. 아래 세 그림은 여기서 학습한 모델을 펼친 것입니다: 상자 안의 빨간 수는 $‖∂L/∂h_t‖$이고, 빨간 화살표는 기울기가 $W_hh$를 거쳐 앞 시점으로 가는 길(굵을수록 큼)입니다. 손실 $L_t$는 출력이 있는 시점에만 들어옵니다.",
        "The same recurrent network serves different tasks depending on where the inputs and outputs are. The three pictures below unroll models trained here: the red number in each box is $‖∂L/∂h_t‖$, and the red arrows are the gradient's way back through $W_hh$ (thicker: larger). A loss $L_t$ enters only where there is an output."),
    "exp.nnlm": (
        "신경망 언어 모델(NNLM, Bengio 외 2003)은 앞의 $n$개 문자만 봅니다: 각 문자를 표 $C$에서 찾아(원-핫 벡터 곱하기 $C$) 이어 붙이고, tanh 은닉층을 거쳐 소프트맥스로 다음 문자를 예측합니다. RNN은 $h_t$에 지난 입력을 모두 접어 넣으므로 얼마나 멀리 볼지 정해져 있지 않습니다. 아래 문장들은 글자, 숫자 카운트다운, 같은 글자 순서입니다: 마지막 숫자 다음 문자는 카운트다운 앞의 글자이므로, 창이 그 글자에 닿지 않으면 NNLM은 네 글자 중에서 찍을 수밖에 없습니다.",
        "The neural language model (NNLM, Bengio et al. 2003) sees only the $n$ previous characters: each is looked up in a table $C$ (its one-hot vector times $C$), the rows are concatenated and go through a tanh hidden layer to a softmax over the next character. An RNN folds every earlier input into $h_t$, so nothing fixes how far back it can look. The sentences below are a letter, a countdown of digits and the same letter again: after the last digit the next character is the letter before the countdown, so when the window does not reach it the NNLM can only guess among the four letters."),
    "exp.unroll_bidirectional": (
        "양방향 RNN은 같은 입력 $x_t$를 두 번 읽습니다: 앞 방향 $h^→_t$는 $h^→_{t-1}$에서 왼쪽→오른쪽으로, 뒤 방향 $h^←_t$는 $h^←_{t+1}$에서 오른쪽→왼쪽으로 계산하고, 출력 $ŷ_t$는 둘을 이은 $[h^→_t | h^←_t]$에서 읽습니다. 그래서 $ŷ_t$는 시퀀스 전체를 보지만, 다음 입력을 예측하거나 생성하는 모델은 될 수 없습니다. 방향마다 $W_xh$, $W_hh$가 하나씩 있습니다.",
        "A bidirectional RNN reads each input $x_t$ twice: the forward direction computes $h^→_t$ from $h^→_{t-1}$, left to right; the backward direction computes $h^←_t$ from $h^←_{t+1}$, right to left; the output $ŷ_t$ is read from both, $[h^→_t | h^←_t]$. So $ŷ_t$ sees the whole sequence, and such a model cannot predict the next input or generate. Each direction has one $W_xh$ and one $W_hh$."),
    "exp.states": (
        '각 칸은 한 유닛의 한 시점 값입니다. LSTM에서는 $c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t$, $h_t = o_t ⊙ tanh(c_t)$이고, GRU에서는 $h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}$입니다 (PyTorch 표기). 0.1 미만이나 0.9 초과로 포화된 게이트는 $σ′ = σ(1 − σ) < 0.09$ (최대 0.25)라서 게이트 자체를 통해서는 기울기가 적게 흐릅니다.',
        "Each cell is one unit at one step. In an LSTM $c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t$ and $h_t = o_t ⊙ tanh(c_t)$; in a GRU $h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}$ (PyTorch's convention). A gate saturated below 0.1 or above 0.9 has $σ′ = σ(1 − σ) < 0.09$ (at most 0.25), so little gradient flows through the gate itself."),
    "exp.bptt": (
        '$∂L/∂h_t$에는 그 시점의 출력에서 오는 항과, 뒤 시점에서 $∂h_{t+1}/∂h_t$를 곱해 거꾸로 전달되는 항이 더해집니다 (위의 식). $∂L/∂W_hh$는 시점별 항의 합이며, 막대 하나가 항 하나입니다. 먼 과거의 항일수록 $tanh′ ≤ 1$, $σ′ ≤ 1/4$인 인수와 $W_hh$를 더 많이 거칩니다 (그래서 줄어드는지는 실행마다 다르며, 차트 아래 문장이 이 실행의 결과를 말합니다). 단기 BPTT는 $k$ 시점마다 기울기를 끊고 상태만 넘깁니다.',
        "$∂L/∂h_t$ adds the term from step $t$'s own output to what flows back from later steps, multiplied each time by $∂h_{t+1}/∂h_t$ (the equations above). $∂L/∂W_hh$ is the sum of per-step terms; each bar is one term. A distant term passes through more factors with $tanh′ ≤ 1$, $σ′ ≤ 1/4$ and $W_hh$ (whether it shrinks depends on the run: the sentence under the chart says what this one shows). Truncated BPTT cuts the gradient every $k$ steps while the state goes on."),
    "exp.eigen": (
        '선형 RNN $h_t = W_hh h_{t-1}$에서 $W_hh = Q diag(λ) Q⁻¹$이면 $W_hhᵗ = Q diag(λᵗ) Q⁻¹$: $|λ| < 1$이면 사라지고 $|λ| > 1$이면 폭발합니다. 비선형일 때 Pascanu 외(2013)는 $|f′| ≤ γ$이면 $σ_max(W_hh) < 1/γ$일 때 기울기 소실이 보장됨을 보였습니다 (기본 RNN; tanh는 $γ = 1$, 시그모이드는 $γ = 1/4$). 슬라이더로 $W_hh$의 스펙트럼 반경 $ρ$를 바꾸면 재학습 없이 곡선이 다시 그려집니다.',
        "In a linear RNN $h_t = W_hh h_{t-1}$, $W_hh = Q diag(λ) Q⁻¹$ gives $W_hhᵗ = Q diag(λᵗ) Q⁻¹$: $|λ| < 1$ vanishes and $|λ| > 1$ explodes. With a nonlinearity bounded by $|f′| ≤ γ$, Pascanu et al. (2013) showed that $σ_max(W_hh) < 1/γ$ guarantees vanishing gradients in a vanilla RNN ($γ = 1$ for tanh, $1/4$ for the sigmoid). The slider rescales $W_hh$'s spectral radius $ρ$ and redraws the curve without retraining."),
    "exp.clipping": (
        '기울기 폭발은 손실 곡면의 절벽에서 생깁니다: 한 걸음이 매개변수를 멀리 날려 보냅니다. 노름 기준 클리핑은 $‖g‖$가 임계값 $θ$를 넘으면 $g ← (θ/‖g‖) g$로 방향은 두고 길이만 줄입니다. 같은 모델을 클리핑 없이/있이 학습한 결과와, 단일 유닛 RNN $x_t = w σ(x_{t-1}) + b$의 절벽에서 두 경사 하강 경로를 비교해 보세요.',
        'Exploding gradients come from cliffs in the loss surface: one step throws the parameters far away. Clipping by norm keeps the direction and shortens the step: if $‖g‖$ exceeds the threshold $θ$, $g ← (θ/‖g‖) g$. Compare the same model trained without and with clipping, and two gradient-descent paths on the cliff of the one-unit RNN $x_t = w σ(x_{t-1}) + b$.'),
    "exp.compare": (
        'RNN에서 $x_1$이 $h_t$에 닿는 모든 경로는 시점마다 $W_hh$와 $f′$를 거칩니다. LSTM의 셀 상태 $c_t = f_t ⊙ c_{t-1} + …$에는 인수가 망각 게이트뿐인 경로가 있고, GRU에는 업데이트 게이트 $z_t$를 통한 경로가 있어서, 게이트가 1에 가까우면 민감도가 오래 남을 수 있습니다. 실제로 남는지는 과제가 기억을 요구하는지에 달려 있습니다 (복사 과제 시나리오를 보세요). GRU는 게이트 블록이 3개라 매개변수가 LSTM의 3/4입니다. 어느 쪽이 더 잘 배우는지도 과제마다 다르며, 아래 곡선이 이 실행의 결과입니다.',
        "In an RNN every path from $x_1$ to $h_t$ passes through $W_hh$ and $f′$ at every step. The LSTM's cell state $c_t = f_t ⊙ c_{t-1} + …$ offers a path whose only factor is the forget gate, and the GRU one through its update gate $z_t$: with those gates near 1 the sensitivity can last. Whether it does depends on whether the task needs the memory (see the copy-task scenario). With three gate blocks instead of four, the GRU has 3/4 of the LSTM's parameters; which of the two learns better also depends on the task: the curves below are this run's."),
    "exp.timeline": (
        '학습하는 동안 저장한 매개변수를 되돌려 봅니다. $W_hh$의 고유값이 움직이면 $∂L/∂h_t$가 과거로 얼마나 멀리 전달되는지도 바뀝니다. 손실 곡선의 점이 지금 보고 있는 학습 단계입니다. ▷ 재생은 학습 과정을 처음부터 다시 보여 줍니다.',
        "Scrub through the parameters saved during training. As $W_hh$'s eigenvalues move, so does how far $∂L/∂h_t$ reaches into the past. The marker on the loss curve is the snapshot you are looking at. ▷ Play replays the training from the start."),
}


def t(key: str, lang: str, *, form: str = "md", **values) -> str:
    """The string ``key`` in ``lang`` ("ko" or "en"), formatted with ``values`` and set for ``form`` (``styled``); a
    chart's strings (fig., axis., leg.: Plotly text) are always set as "chart"."""
    ko, en = STRINGS[key]
    return styled(ko if lang == "ko" else en, "chart" if key.startswith(_CHART_KEYS) else form, **values)


def styled(text: str, form: str = "md", **values) -> str:
    """One of our strings, formatted with ``values`` and its math set for where it goes.

    Our strings write math in plain text (σ_max, ‖∂h_T/∂h_1‖, W_hh) and, in the page's sentences, between $ signs.
    ``form``: "md" (Streamlit Markdown: each formula typeset by KaTeX, as ``tex`` turns it into LaTeX, and so is a
    value formatted as 5.2e-05: 5.2 × 10⁻⁵), "html" (our browser components: escaped text, formulas with
    <sub>/<sup>; the values are trusted: numbers, or strings made in the same form), "chart" (Plotly text: math with
    <sub>/<sup>, ``chart_math``) or "text" (plain text, e.g. an aria-label or a select box's option). Values are
    formatted into each part on its own, so a value never opens or closes a formula."""
    parts = text.split("$")
    fill = (lambda p: p.format(**values)) if values else (lambda p: p)  # a text without values keeps its braces
    if form in ("chart", "text"):
        text = "".join(fill(p) for p in parts)
        return chart_math(text) if form == "chart" else text
    if form == "html":  # 5.2e-05 becomes 5.2×10<sup>−5</sup> inside and outside formulas
        parts = [fill(html.escape(p)) for p in parts]
        return "".join(chart_math(_SCIENTIFIC.sub(lambda m: _sci(m[0]), p)) if i % 2 else
                       _SCIENTIFIC.sub(lambda m: chart_math(_sci(m[0])), p) for i, p in enumerate(parts))
    parts = [fill(p) for p in parts]
    return "".join(f"${tex(p)}$" if i % 2 else scientific(p) for i, p in enumerate(parts))


def _sci(number: str) -> str:
    """5.2e-05 -> 5.2×10^(-5) (plain text math)."""
    mantissa, exponent = number.split("e")
    return f"{mantissa}×10^({int(exponent)})".replace("-", "−")


_SCIENTIFIC = re.compile(r"(?<![\w.])\d+(?:\.\d+)?e[+-]\d+(?!\d)")


def scientific(text: str) -> str:
    """Text whose values formatted as 5.2e-05 are typeset as 5.2 × 10⁻⁵ (KaTeX)."""
    return _SCIENTIFIC.sub(lambda m: f"${tex(m[0])}$", text)


_CHART_KEYS = ("fig.", "axis.", "leg.")
_SUB_BRACED = re.compile(r"([A-Za-zα-ωΑ-Ω∂])_\{([^{}]*)\}")
_SUB = re.compile(r"(?<![A-Za-z0-9])([A-Za-zα-ωΑ-Ω∂])_([A-Za-z0-9]+)")
_SUP = re.compile(r"\^\(([^()]*)\)|\^\{([^{}]*)\}|\^([A-Za-z0-9−-]+)")


def chart_math(text: str) -> str:
    """Plain-text math (x_t, h_{t-1}, W_hh, σ_max, ρ^(T−k)) as Plotly's <sub> / <sup> (Kaleido's MathJax stays
    off): x<sub>t</sub>, h<sub>t-1</sub>, W<sub>hh</sub>, σ<sub>max</sub>, ρ<sup>T−k</sup>."""
    text = _SUB_BRACED.sub(r"\1<sub>\2</sub>", text)
    text = _SUB.sub(r"\1<sub>\2</sub>", text)
    return _SUP.sub(lambda m: f"<sup>{m.group(1) or m.group(2) or m.group(3)}</sup>", text)


# plain-text math in the table -> LaTeX (KaTeX): symbols, named functions, words set upright
_TEX_SYMBOLS = {
    "‖": r"\|", "⊙": r"\odot ", "σ": r"\sigma ", "λ": r"\lambda ", "ρ": r"\rho ", "γ": r"\gamma ", "η": r"\eta ",
    "θ": r"\theta ", "∂": r"\partial ", "Σ": r"\sum ", "≤": r"\le ", "≥": r"\ge ", "≈": r"\approx ",
    "←": r"\leftarrow ", "→": r"\to ", "⇒": r"\Rightarrow ", "×": r"\times ", "…": r"\dots ", "−": "-", "′": "'",
    "ŷ": r"\hat{y}", "ᵀ": r"^{\top}", "⁻¹": "^{-1}", "ᵗ": "^{t}", "²": "^{2}", "₂": "_{2}", "%": r"\%", "·": r"\cdot ",
}
_TEX_WORDS = {"tanh": r"\tanh", "ln": r"\ln", "max": r"\max", "exp": r"\exp", "diag": r"\operatorname{diag}",
              "softmax": r"\operatorname{softmax}", "ReLU": r"\operatorname{ReLU}"}
_TEX_TOKEN = re.compile(r"(?P<sub>_(?:\{(?P<sb>[^{}]*)\}|(?P<sw>[A-Za-z0-9]+)))"
                        r"|(?P<sup>\^(?:\((?P<pp>[^()]*)\)|\{(?P<pb>[^{}]*)\}|(?P<pw>[A-Za-z0-9−-]+)))"
                        r"|(?P<num>\d+(?:\.\d+)?)e(?P<exp>[+-]\d+)"
                        r"|(?P<word>[A-Za-z\uac00-\ud7a3]{2,}|[\uac00-\ud7a3])"
                        r"|(?P<sym>⁻¹|.)", re.S)


def tex(math: str, *, label: bool = False) -> str:
    r"""Plain-text math as LaTeX: ``σ_max(W_hh) < 1/γ`` -> ``\sigma _{\max}(W_{hh}) < 1/\gamma``; subscripts and
    superscripts braced (h_{t-1}, ρ^(T−k)), tanh / diag / softmax as operators, other words upright (\text{...}),
    1.2e-05 as 1.2 \times 10^{-5}. ``label``: inside a subscript, where letters name an index (W_hh)."""
    def one(m: re.Match) -> str:
        if m["sub"]:
            inner = m["sb"] if m["sb"] is not None else m["sw"]
            return "_{" + (r"\max" if inner == "max" else tex(inner, label=True)) + "}"
        if m["sup"]:
            inner = next(g for g in (m["pp"], m["pb"], m["pw"]) if g is not None)
            return "^{" + tex(inner) + "}"
        if m["num"]:
            return rf"{m['num']} \times 10^{{{int(m['exp'])}}}"
        if m["word"]:
            if label and m["word"].isascii():  # a subscript's letters name an index (W_hh, b_xn)
                return m["word"]
            return _TEX_WORDS.get(m["word"], r"\text{" + m["word"] + "}")
        return _TEX_SYMBOLS.get(m["sym"], m["sym"])
    return _TEX_TOKEN.sub(one, math).strip()  # a symbol's trailing space would keep KaTeX from closing the $


# Plotly's own interface (the chart's toolbar and its messages) in Korean: its config's locale and dictionary, our
# wording, keyed by Plotly's English strings
PLOTLY_KO = {
    "Autoscale": "자동 범위", "Box Select": "상자 선택", "Lasso Select": "올가미 선택", "Pan": "이동",
    "Zoom": "영역 확대", "Zoom in": "확대", "Zoom out": "축소", "Reset axes": "축 되돌리기",
    "Reset view": "보기 되돌리기", "Reset views": "보기 되돌리기", "Reset": "되돌리기",
    "Download plot as a PNG": "PNG로 내려받기", "Download plot": "그림 내려받기",
    "Toggle Spike Lines": "보조선 켜기/끄기", "Show closest data on hover": "가장 가까운 점의 값 보기",
    "Compare data on hover": "같은 위치의 값 비교", "Toggle show closest data on hover": "가장 가까운 점의 값 켜기/끄기",
    "Orbital rotation": "궤도 회전", "Turntable rotation": "회전판 회전", "Reset camera to default": "카메라 되돌리기",
    "Reset camera to last save": "저장한 카메라로", "Double-click to zoom back out": "두 번 클릭하면 원래 크기로",
    "Double-click on legend to isolate one trace": "범례를 두 번 클릭하면 그 항목만 보입니다",
    "Taking snapshot - this may take a few seconds": "그림을 만드는 중입니다 (몇 초 걸릴 수 있습니다)",
    "Snapshot succeeded": "그림을 만들었습니다", "Sorry, there was a problem downloading your snapshot!":
    "그림을 내려받지 못했습니다", "Produced with Plotly.js": "Plotly.js로 그림",
}


def plotly_config(lang: str) -> dict:
    """The locale part of a chart's Plotly config: Korean toolbar labels on a Korean page."""
    return {"locale": "ko", "locales": {"ko": {"dictionary": PLOTLY_KO}}} if lang == "ko" else {}

def gate_name(name: str, lang: str) -> str:
    """A recorded quantity's name ("forget gate"); a gate of a cell kind registered outside the app (engine.cells)
    has no translated name and is called by its letter."""
    return t(f"gate.{name}", lang) if f"gate.{name}" in STRINGS else f"{name}_t"


def quantity_name(name: str, lang: str) -> str:
    """A recorded quantity ("h", "c" or a gate's letter) with its symbol: "f_t forget gate"."""
    label = gate_name(name, lang)
    return label if label == f"{name}_t" else f"{name}_t {label}"


def option(value: str, lang: str) -> str:
    """Label of an option value (cells, inits, tasks, optimizers, clipping modes); a cell kind registered outside
    the app is called by its name in capitals."""
    return t(f"opt.{value}", lang) if f"opt.{value}" in STRINGS else value.upper()


def error_message(e: EngineError, lang: str) -> str:
    """One clear sentence in the user's language for an engine error; what it quotes of the user's input (texts,
    CSV headers, state_dict keys) is shown as text, not Markdown."""
    if isinstance(e, budget.BudgetError):
        est = e.estimate
        fits = t("msg.or", lang).join(t("msg.and", lang).join(t(f"msg.fit_{k}", lang, v=v) for k, v in alt.items())
                                      for alt in e.suggestions)
        return t("msg.budget", lang, seconds=est.seconds, mb=est.mb, max_s=limits.MAX_RUN_SECONDS,
                 max_mb=limits.MAX_RUN_MB) + (" " + t("msg.budget_fits", lang, fits=fits) if fits else "")
    if isinstance(e, ResourceError):
        return t({"memory": "msg.limit_memory", "time": "msg.limit_time"}.get(e.kind, "msg.crashed"), lang,
                 limit=e.limit)
    if isinstance(e, VocabularyError):
        return t("msg.vocab", lang, chars=safe.md(" ".join(e.unknown[:10])))
    if isinstance(e, TextError):
        return t("msg.text", lang, max=tasks.MAX_TEXT)
    if isinstance(e, ArchitectureError):
        return t(f"msg.arch_{e.reason}", lang)
    reason = safe.md(e, 300)
    if isinstance(e, StateDictError):
        return t("msg.bad_model", lang, reason=reason)
    if isinstance(e, DataError):
        return t("msg.bad_data", lang, reason=reason)
    return t("msg.bad_config", lang, reason=reason)
